namespace GpuExec.Kernels.Verify;

/// <summary>The 16 message words of one SHA-512 block (a rolling schedule window).</summary>
internal partial struct Sha512Block
{
    public ulong W0, W1, W2, W3, W4, W5, W6, W7, W8, W9, W10, W11, W12, W13, W14, W15;
}

/// <summary>The 16 message words of one SHA-256 block (a rolling schedule window).</summary>
internal partial struct Sha256Block
{
    public uint W0, W1, W2, W3, W4, W5, W6, W7, W8, W9, W10, W11, W12, W13, W14, W15;
}

/// <summary>SHA-512 chaining value; after <see cref="Sha512.Hash"/> the digest, H0 first, big-endian.</summary>
internal partial struct Sha512State
{
    public ulong H0, H1, H2, H3, H4, H5, H6, H7;

    public Sha512State(ulong h0, ulong h1, ulong h2, ulong h3, ulong h4, ulong h5, ulong h6, ulong h7)
    {
        H0 = h0; H1 = h1; H2 = h2; H3 = h3; H4 = h4; H5 = h5; H6 = h6; H7 = h7;
    }
}

/// <summary>SHA-256 chaining value; after <see cref="Sha256.Hash"/> the digest, H0 first, big-endian.</summary>
internal partial struct Sha256State
{
    public uint H0, H1, H2, H3, H4, H5, H6, H7;

    public Sha256State(uint h0, uint h1, uint h2, uint h3, uint h4, uint h5, uint h6, uint h7)
    {
        H0 = h0; H1 = h1; H2 = h2; H3 = h3; H4 = h4; H5 = h5; H6 = h6; H7 = h7;
    }
}

/// <summary>SHA-512 (FIPS 180-4) of a <see cref="MessageSpec"/>, one thread per message.</summary>
internal static class Sha512
{
    /// <summary>Byte <paramref name="pos"/> of the padded message (data, 0x80, zeros, 128-bit bit length).</summary>
    private static ulong PaddedByte(ILGPU.ArrayView<byte> src, in MessageSpec m, long total, long end, long pos)
    {
        if (pos < total)
            return m.ByteAt(src, pos);
        if (pos == total)
            return 0x80;
        long q = pos - (end - 8); // the low 64 bits of the length field; the high 64 are zero
        if (q < 0)
            return 0;
        return ((ulong)total << 3) >> (int)(8 * (7 - q)) & 0xFF;
    }

    public static ulong Word(ILGPU.ArrayView<byte> src, in MessageSpec m, long total, long end, long pos)
    {
        // Inside one segment of the message and clear of the source's last word: three aligned
        // 32-bit loads instead of eight byte loads, each with its padding checks.
        if (pos + 8 <= total && m.TryLocate(pos, 8, out long at) && at + 12 <= src.Length)
        {
            OpCounter.Hit(KernelOp.Sha512WordLoad);
            return WordLoads.BigEndian64(src, at);
        }
        return PaddedWord(src, m, total, end, pos);
    }

    /// <summary>Word <paramref name="pos"/> of the padded message, byte by byte (any position).</summary>
    public static ulong PaddedWord(ILGPU.ArrayView<byte> src, in MessageSpec m, long total, long end, long pos)
    {
        OpCounter.Hit(KernelOp.Sha512WordBytes);
        return (PaddedByte(src, m, total, end, pos) << 56) | (PaddedByte(src, m, total, end, pos + 1) << 48) |
            (PaddedByte(src, m, total, end, pos + 2) << 40) | (PaddedByte(src, m, total, end, pos + 3) << 32) |
            (PaddedByte(src, m, total, end, pos + 4) << 24) | (PaddedByte(src, m, total, end, pos + 5) << 16) |
            (PaddedByte(src, m, total, end, pos + 6) << 8) | PaddedByte(src, m, total, end, pos + 7);
    }

    /// <summary>The 16 big-endian words of the padded block at <paramref name="p"/> (of <paramref name="end"/> padded bytes).</summary>
    public static Sha512Block LoadBlock(ILGPU.ArrayView<byte> src, in MessageSpec m, long total, long end, long p)
    {
        Sha512Block w;
        w.W0 = Word(src, m, total, end, p); w.W1 = Word(src, m, total, end, p + 8);
        w.W2 = Word(src, m, total, end, p + 16); w.W3 = Word(src, m, total, end, p + 24);
        w.W4 = Word(src, m, total, end, p + 32); w.W5 = Word(src, m, total, end, p + 40);
        w.W6 = Word(src, m, total, end, p + 48); w.W7 = Word(src, m, total, end, p + 56);
        w.W8 = Word(src, m, total, end, p + 64); w.W9 = Word(src, m, total, end, p + 72);
        w.W10 = Word(src, m, total, end, p + 80); w.W11 = Word(src, m, total, end, p + 88);
        w.W12 = Word(src, m, total, end, p + 96); w.W13 = Word(src, m, total, end, p + 104);
        w.W14 = Word(src, m, total, end, p + 112); w.W15 = Word(src, m, total, end, p + 120);
        return w;
    }

    public static Sha512State Hash(ILGPU.ArrayView<byte> src, MessageSpec m, ILGPU.ArrayView<ulong> k)
    {
        long total = m.TotalLength;
        long blocks = (total + 17 + 127) / 128;
        long end = blocks * 128;
        Sha512State st = Sha512State.Initial;
        for (long b = 0; b < blocks; b++)
        {
            Sha512Block w = LoadBlock(src, m, total, end, b * 128);
            Sha512State work = st;
            work.Rounds16(w, k, 0);
            for (int g = 1; g < 5; g++)
            {
                w.Expand();
                work.Rounds16(w, k, 16 * g);
            }
            st.H0 += work.H0; st.H1 += work.H1; st.H2 += work.H2; st.H3 += work.H3;
            st.H4 += work.H4; st.H5 += work.H5; st.H6 += work.H6; st.H7 += work.H7;
        }
        return st;
    }

    private static void Store(ILGPU.ArrayView<byte> dst, long at, ulong v)
    {
        for (int j = 0; j < 8; j++)
            dst[at + j] = (byte)(v >> (56 - 8 * j));
    }

    /// <summary>Writes the 64-byte digest at <paramref name="offset"/>.</summary>
    public static void Store(Sha512State s, ILGPU.ArrayView<byte> dst, long offset)
    {
        Store(dst, offset, s.H0); Store(dst, offset + 8, s.H1); Store(dst, offset + 16, s.H2); Store(dst, offset + 24, s.H3);
        Store(dst, offset + 32, s.H4); Store(dst, offset + 40, s.H5); Store(dst, offset + 48, s.H6); Store(dst, offset + 56, s.H7);
    }
}

/// <summary>SHA-256 (FIPS 180-4) of a <see cref="MessageSpec"/>, one thread per message.</summary>
internal static class Sha256
{
    private static uint PaddedByte(ILGPU.ArrayView<byte> src, in MessageSpec m, long total, long end, long pos)
    {
        if (pos < total)
            return m.ByteAt(src, pos);
        if (pos == total)
            return 0x80;
        long q = pos - (end - 8);
        if (q < 0)
            return 0;
        return (uint)((((ulong)total << 3) >> (int)(8 * (7 - q))) & 0xFF);
    }

    private static uint Word(ILGPU.ArrayView<byte> src, in MessageSpec m, long total, long end, long pos)
    {
        if (pos + 4 <= total && m.TryLocate(pos, 4, out long at) && at + 8 <= src.Length)
            return WordLoads.BigEndian32(src, at);
        return (PaddedByte(src, m, total, end, pos) << 24) | (PaddedByte(src, m, total, end, pos + 1) << 16) |
            (PaddedByte(src, m, total, end, pos + 2) << 8) | PaddedByte(src, m, total, end, pos + 3);
    }

    public static Sha256State Hash(ILGPU.ArrayView<byte> src, MessageSpec m, ILGPU.ArrayView<uint> k)
    {
        long total = m.TotalLength;
        long blocks = (total + 9 + 63) / 64;
        long end = blocks * 64;
        Sha256State st = Sha256State.Initial;
        for (long b = 0; b < blocks; b++)
        {
            long p = b * 64;
            Sha256Block w;
            w.W0 = Word(src, m, total, end, p); w.W1 = Word(src, m, total, end, p + 4);
            w.W2 = Word(src, m, total, end, p + 8); w.W3 = Word(src, m, total, end, p + 12);
            w.W4 = Word(src, m, total, end, p + 16); w.W5 = Word(src, m, total, end, p + 20);
            w.W6 = Word(src, m, total, end, p + 24); w.W7 = Word(src, m, total, end, p + 28);
            w.W8 = Word(src, m, total, end, p + 32); w.W9 = Word(src, m, total, end, p + 36);
            w.W10 = Word(src, m, total, end, p + 40); w.W11 = Word(src, m, total, end, p + 44);
            w.W12 = Word(src, m, total, end, p + 48); w.W13 = Word(src, m, total, end, p + 52);
            w.W14 = Word(src, m, total, end, p + 56); w.W15 = Word(src, m, total, end, p + 60);
            Sha256State work = st;
            work.Rounds16(w, k, 0);
            for (int g = 1; g < 4; g++)
            {
                w.Expand();
                work.Rounds16(w, k, 16 * g);
            }
            st.H0 += work.H0; st.H1 += work.H1; st.H2 += work.H2; st.H3 += work.H3;
            st.H4 += work.H4; st.H5 += work.H5; st.H6 += work.H6; st.H7 += work.H7;
        }
        return st;
    }

    private static void Store(ILGPU.ArrayView<byte> dst, long at, uint v)
    {
        dst[at] = (byte)(v >> 24);
        dst[at + 1] = (byte)(v >> 16);
        dst[at + 2] = (byte)(v >> 8);
        dst[at + 3] = (byte)v;
    }

    /// <summary>Writes the 32-byte digest at <paramref name="offset"/>.</summary>
    public static void Store(Sha256State s, ILGPU.ArrayView<byte> dst, long offset)
    {
        Store(dst, offset, s.H0); Store(dst, offset + 4, s.H1); Store(dst, offset + 8, s.H2); Store(dst, offset + 12, s.H3);
        Store(dst, offset + 16, s.H4); Store(dst, offset + 20, s.H5); Store(dst, offset + 24, s.H6); Store(dst, offset + 28, s.H7);
    }
}

/// <summary>
/// Big-endian words read from a byte view with aligned 32-bit loads. The view must start 4-byte
/// aligned (the host passes whole buffers, which are), and the 32-bit words touched must lie in it.
/// </summary>
internal static class WordLoads
{
    private static uint Swap(uint v) =>
        (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);

    /// <summary>Bytes at..at+3 as a big-endian word; reads the aligned words covering at..at+7.</summary>
    public static uint BigEndian32(ILGPU.ArrayView<byte> src, long at)
    {
        var words = src.Cast<uint>();
        long i = at >> 2;
        int sh = (int)(at & 3) * 8;
        uint lo = words[i];
        uint v = sh == 0 ? lo : (uint)((lo | ((ulong)words[i + 1] << 32)) >> sh);
        return Swap(v);
    }

    /// <summary>Bytes at..at+7 as a big-endian word; reads the aligned words covering at..at+11.</summary>
    public static ulong BigEndian64(ILGPU.ArrayView<byte> src, long at)
    {
        var words = src.Cast<uint>();
        long i = at >> 2;
        int sh = (int)(at & 3) * 8;
        ulong lo = words[i] | ((ulong)words[i + 1] << 32);
        ulong v = sh == 0 ? lo : (lo >> sh) | ((ulong)words[i + 2] << (64 - sh));
        return ((ulong)Swap((uint)v) << 32) | Swap((uint)(v >> 32));
    }
}
