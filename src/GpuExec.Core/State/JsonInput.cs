using System.Text.Json;
using GpuExec.Wire;

namespace GpuExec.State;

/// <summary>
/// A JSON document read from a stream a window at a time, so that a genesis or dump is never held
/// whole: memory is the state being built plus this window. The window grows only to hold one
/// token, which is bounded (<see cref="MaxTokenBytes"/>), and the bytes read are bounded by the
/// limit given, so a stream that never ends is refused after at most that many bytes.
/// <para>Use: <c>var r = input.Start();</c> then <c>input.Next(ref r)</c> for each token; the
/// token's value is read from <c>r</c> before the next call.</para>
/// </summary>
internal sealed class JsonInput
{
    /// <summary>
    /// Longest token (a string or a number) read: far above any valid one (an address is 66 bytes,
    /// a u64 20 digits) and far below what a hostile file could make the window grow to.
    /// </summary>
    public const int MaxTokenBytes = 1 << 20;

    private readonly Stream _stream;
    private readonly string _source;
    private readonly long _limit;
    private byte[] _buffer = new byte[1 << 16];
    private int _filled;
    private long _read;
    private bool _final;

    public JsonInput(Stream stream, string source, long limit)
    {
        _stream = stream;
        _source = source;
        _limit = limit;
    }

    /// <summary>What the input is called in errors.</summary>
    public string Source => _source;

    /// <summary>A reader at the start of the document.</summary>
    public Utf8JsonReader Start()
    {
        var state = new JsonReaderState(new JsonReaderOptions { MaxDepth = 16 });
        Fill(0);
        return new Utf8JsonReader(_buffer.AsSpan(0, _filled), _final, state);
    }

    /// <summary>Moves <paramref name="reader"/> to the next token, reading more of the stream as needed; false at the end of the document.</summary>
    /// <exception cref="StateFormatException">Malformed JSON, a token over <see cref="MaxTokenBytes"/>, input over the limit, or a read that failed.</exception>
    public bool Next(ref Utf8JsonReader reader)
    {
        try
        {
            while (!reader.Read())
            {
                if (_final) return false;
                int consumed = checked((int)reader.BytesConsumed);
                int left = _filled - consumed;
                if (consumed == 0 && left == _buffer.Length)
                {
                    if (_buffer.Length >= MaxTokenBytes)
                        throw new StateFormatException($"{_source}: malformed JSON: a token longer than {MaxTokenBytes} bytes at byte {_read - left}");
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }
                else
                {
                    Buffer.BlockCopy(_buffer, consumed, _buffer, 0, left);
                }
                Fill(left);
                reader = new Utf8JsonReader(_buffer.AsSpan(0, _filled), _final, reader.CurrentState);
            }
            return true;
        }
        catch (JsonException e)
        {
            throw new StateFormatException($"{_source}: malformed JSON: {e.Message}");
        }
    }

    /// <summary>Reads after the <paramref name="kept"/> bytes at the start of the window until it is full or the stream ends.</summary>
    private void Fill(int kept)
    {
        _filled = kept;
        try
        {
            while (_filled < _buffer.Length)
            {
                int got = _stream.Read(_buffer, _filled, _buffer.Length - _filled);
                if (got == 0)
                {
                    _final = true;
                    return;
                }
                _read += got;
                if (_read > _limit) throw new StateFormatException($"{_source}: state file is larger than the limit of {_limit} bytes");
                _filled += got;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateFormatException($"{_source}: cannot read state file: {e.Message}");
        }
    }

    /// <summary>The raw text of the current token, cut for an error message.</summary>
    public static string Raw(ref Utf8JsonReader reader, int max = 40) =>
        InputLimits.Excerpt(System.Text.Encoding.UTF8.GetString(reader.ValueSpan), max);
}
