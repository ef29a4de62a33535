using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.Execution;

/// <summary>What executing a block produced: a status per transaction, the txids and the new root.</summary>
public sealed class BlockResult
{
    public BlockResult(TxStatus[] statuses, byte[] txids, Hash32 stateRoot)
    {
        Statuses = statuses;
        TxIds = txids;
        StateRoot = stateRoot;
    }

    /// <summary>Receipt status of transaction i, in block order.</summary>
    public TxStatus[] Statuses { get; }
    /// <summary>32 bytes per transaction: <c>txid = SHA-256(record)</c>.</summary>
    public byte[] TxIds { get; }
    public Hash32 StateRoot { get; }
    public int Count => Statuses.Length;
    public ReadOnlySpan<byte> TxId(int i) => TxIds.AsSpan(i * 32, 32);

    /// <summary>Writes receipts as JSON lines <c>{"index":0,"txid":"&lt;hex&gt;","status":"OK"}</c>.</summary>
    public void WriteReceipts(TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        Span<char> hex = stackalloc char[64];
        for (int i = 0; i < Statuses.Length; i++)
        {
            Convert.TryToHexStringLower(TxId(i), hex, out _);
            w.Write("{\"index\":");
            w.Write(i);
            w.Write(",\"txid\":\"");
            w.Write(hex);
            w.Write("\",\"status\":\"");
            w.Write(Statuses[i].Name());
            w.Write("\"}\n");
        }
    }
}
