namespace GpuExec.Kernels.Verify;

/// <summary>The Keccak-f[1600] state, lane (x, y) in field A{x + 5y}.</summary>
internal partial struct KeccakState
{
    public ulong A00, A01, A02, A03, A04, A05, A06, A07, A08, A09, A10, A11, A12,
        A13, A14, A15, A16, A17, A18, A19, A20, A21, A22, A23, A24;

    public void Permute(ILGPU.ArrayView<ulong> rc)
    {
        for (int r = 0; r < 24; r++)
            Round(rc[r]);
    }
}

/// <summary>Ethereum's Keccak-256: rate 136 bytes, padding 0x01 ... 0x80 (not SHA3-256's 0x06).</summary>
internal static class Keccak256
{
    private const int Rate = 136;

    private static ulong PaddedByte(ILGPU.ArrayView<byte> src, in MessageSpec m, long total, long end, long pos)
    {
        ulong v = pos < total ? m.ByteAt(src, pos) : (pos == total ? 0x01UL : 0UL);
        if (pos == end - 1)
            v |= 0x80;
        return v;
    }

    public static KeccakState Hash(ILGPU.ArrayView<byte> src, MessageSpec m, ILGPU.ArrayView<ulong> rc)
    {
        long total = m.TotalLength;
        long blocks = total / Rate + 1;
        long end = blocks * Rate;
        KeccakState st = default;
        for (long b = 0; b < blocks; b++)
        {
            for (int lane = 0; lane < Rate / 8; lane++)
            {
                long p = b * Rate + lane * 8;
                ulong v = 0;
                for (int j = 0; j < 8; j++)
                    v |= PaddedByte(src, m, total, end, p + j) << (8 * j);
                st.XorLane(lane, v);
            }
            st.Permute(rc);
        }
        return st;
    }

    private static void Store(ILGPU.ArrayView<byte> dst, long at, ulong v)
    {
        for (int j = 0; j < 8; j++)
            dst[at + j] = (byte)(v >> (8 * j));
    }

    /// <summary>Writes the 32-byte digest (the first four lanes, little-endian) at <paramref name="offset"/>.</summary>
    public static void Store(KeccakState s, ILGPU.ArrayView<byte> dst, long offset)
    {
        Store(dst, offset, s.A00);
        Store(dst, offset + 8, s.A01);
        Store(dst, offset + 16, s.A02);
        Store(dst, offset + 24, s.A03);
    }
}
