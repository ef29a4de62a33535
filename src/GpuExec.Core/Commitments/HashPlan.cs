using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuExec.Commitments;

/// <summary>One fixed-size hash of a <see cref="HashPlan"/>: <c>H(prefix || slot A || slot B)</c> into slot <c>Out</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TreeHashJob
{
    public int A, B, Out;
}

/// <summary>
/// The hashes a state-root update needs, as data: 32-byte value slots, and jobs that each hash a
/// prefix byte and two slots (65 bytes) into a slot of their own, grouped in waves. The leaf wave
/// (<c>H(0x00 || key || value_hash)</c>) runs first, then the internal nodes
/// (<c>H(0x01 || left || right)</c>) from the deepest depth up to depth 0; a wave reads only slots
/// the host filled or earlier waves wrote. So a wave's jobs can run all at once (in SHA-256 lanes on
/// the host, one kernel launch on a device) and the whole update is one upload of the slots and the
/// jobs, the waves, and one read-back. The host decides the tree's shape (which nodes exist, which
/// collapse onto a single leaf) while it plans; a runner only hashes.
/// </summary>
internal sealed class HashPlan
{
    /// <summary>Wave of the leaf hashes; waves <c>MaxDepth - 1 .. 0</c> are the internal nodes at those depths.</summary>
    public const int LeafWave = 256;
    /// <summary>The slot that holds 32 zero bytes (<c>ZERO</c>, an empty subtree).</summary>
    public const int ZeroSlot = 0;

    private byte[] _values = new byte[32 * 1024];
    private readonly TreeHashJob[][] _jobs = new TreeHashJob[LeafWave + 1][];
    private readonly int[] _counts = new int[LeafWave + 1];
    private int _deepest = -1;

    public HashPlan() => Clear();

    /// <summary>Slots in use (32 bytes each, slot 0 being <see cref="ZeroSlot"/>).</summary>
    public int SlotCount { get; private set; }

    /// <summary>The slots' bytes (the first <c>32 SlotCount</c>).</summary>
    public byte[] Values => _values;

    /// <summary>Total jobs over all waves.</summary>
    public int JobCount { get; private set; }

    /// <summary>The deepest internal wave that has a job (-1: none).</summary>
    public int DeepestWave => _deepest;

    /// <summary>Forgets every slot and job (keeps the buffers).</summary>
    public void Clear()
    {
        for (int w = 0; w <= LeafWave; w++) _counts[w] = 0;
        _deepest = -1;
        JobCount = 0;
        SlotCount = 1;
        _values.AsSpan(0, 32).Clear();
    }

    /// <summary>A new slot holding <paramref name="bytes"/> (32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Constant(ReadOnlySpan<byte> bytes)
    {
        int s = NewSlot();
        bytes[..32].CopyTo(_values.AsSpan(32 * s, 32));
        return s;
    }

    /// <summary>A new slot holding the 32 bytes of <paramref name="value"/>, a struct of exactly that size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Constant<T>(in T value) where T : unmanaged
    {
        int s = NewSlot();
        Unsafe.WriteUnaligned(ref _values[32 * s], value);
        return s;
    }

    /// <summary>A job of wave <paramref name="wave"/> hashing slots <paramref name="a"/> and <paramref name="b"/>; returns its output slot.</summary>
    public int Job(int wave, int a, int b)
    {
        int s = NewSlot();
        ref var list = ref _jobs[wave];
        int n = _counts[wave];
        if (list is null || n == list.Length) Array.Resize(ref list, Math.Max(256, 2 * n));
        list[n] = new TreeHashJob { A = a, B = b, Out = s };
        _counts[wave] = n + 1;
        JobCount++;
        if (wave < LeafWave && wave > _deepest) _deepest = wave;
        return s;
    }

    /// <summary>The jobs of wave <paramref name="wave"/>.</summary>
    public ReadOnlySpan<TreeHashJob> Wave(int wave) => _jobs[wave] is { } j ? j.AsSpan(0, _counts[wave]) : default;

    /// <summary>The 32 bytes of slot <paramref name="slot"/>.</summary>
    public ReadOnlySpan<byte> Slot(int slot) => _values.AsSpan(32 * slot, 32);

    private int NewSlot()
    {
        int s = SlotCount++;
        if (32L * SlotCount > _values.Length)
        {
            long size = Math.Max(2L * _values.Length, 32L * SlotCount);
            if (size > Array.MaxLength) throw new InvalidOperationException("a state-root update needs more hash slots than one array holds");
            Array.Resize(ref _values, (int)size);
        }
        return s;
    }
}

/// <summary>Runs a <see cref="HashPlan"/>'s waves.</summary>
internal interface IHashPlanRunner
{
    /// <summary>Executes every job, wave after wave, writing each digest into its output slot.</summary>
    void Run(HashPlan plan);
}

/// <summary>
/// The host's runner: each wave in chunks, on all cores when the wave is large; a chunk gathers its
/// jobs' two slots into 64-byte messages, hashes them in SHA-256 lanes and scatters the digests.
/// </summary>
internal sealed class CpuHashPlanRunner : IHashPlanRunner
{
    public static CpuHashPlanRunner Instance { get; } = new();

    private const int Chunk = 1024;

    public void Run(HashPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        RunWave(plan, HashPlan.LeafWave, 0);
        for (int w = plan.DeepestWave; w >= 0; w--) RunWave(plan, w, 1);
    }

    private static void RunWave(HashPlan plan, int wave, int prefix)
    {
        int n = plan.Wave(wave).Length;
        if (n == 0) return;
        int chunks = (n + Chunk - 1) / Chunk;
        if (chunks == 1) RunChunk(plan, wave, prefix, 0, n);
        else Parallel.For(0, chunks, c => RunChunk(plan, wave, prefix, c * Chunk, Math.Min(n, (c + 1) * Chunk)));
    }

    private static void RunChunk(HashPlan plan, int wave, int prefix, int from, int to)
    {
        var jobs = plan.Wave(wave)[from..to];
        int n = jobs.Length;
        byte[] messages = ArrayPool<byte>.Shared.Rent(64 * n);
        byte[] digests = ArrayPool<byte>.Shared.Rent(32 * n);
        var values = plan.Values;
        ref byte v = ref MemoryMarshal.GetArrayDataReference(values);
        ref byte m = ref MemoryMarshal.GetArrayDataReference(messages);
        for (int i = 0; i < n; i++)
        {
            Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref m, 64 * i), ref Unsafe.Add(ref v, 32 * jobs[i].A), 32);
            Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref m, 64 * i + 32), ref Unsafe.Add(ref v, 32 * jobs[i].B), 32);
        }
        Sha256Lanes.Hash(messages.AsSpan(0, 64 * n), new FixedMessages(n, 64), prefix, digests, parallel: false);
        ref byte d = ref MemoryMarshal.GetArrayDataReference(digests);
        for (int i = 0; i < n; i++)
            Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref v, 32 * jobs[i].Out), ref Unsafe.Add(ref d, 32 * i), 32);
        ArrayPool<byte>.Shared.Return(messages);
        ArrayPool<byte>.Shared.Return(digests);
    }
}
