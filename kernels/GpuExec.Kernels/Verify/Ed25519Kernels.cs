using ILGPU;

namespace GpuExec.Kernels.Verify;

/// <summary>
/// Ed25519 verification with exactly the rule of libsodium 1.0.22's
/// <c>crypto_sign_ed25519_verify_detached</c> (ED25519_COMPAT off), one signature per thread:
/// <list type="number">
/// <item>reject S &gt;= L;</item>
/// <item>reject R (first 32 signature bytes) on libsodium's small-order blocklist;</item>
/// <item>reject A with y &gt;= p (non-canonical) or A on the blocklist;</item>
/// <item>reject A that does not decompress;</item>
/// <item>h = SHA-512(R || A || M) mod L, R' = h(-A) + SB; accept iff encode(R') == R bytes.</item>
/// </list>
/// </summary>
internal static class Ed25519Kernels
{
    /// <summary>Per-item scratch the kernel needs: 8 cached points (the odd multiples of -A).</summary>
    public const int ScratchPerItem = 8;

    /// <summary>
    /// valid[i] = 1 if jobs[i] verifies, else 0. <paramref name="baseTable"/>: 1B, 3B, .., 127B from
    /// <see cref="Ge25519.BaseTable"/>; <paramref name="k512"/>: <see cref="Sha512State.RoundConstants"/>;
    /// <paramref name="scratch"/>: at least jobs.Length * <see cref="ScratchPerItem"/> entries.
    /// </summary>
    public static void Verify(
        Index1D i,
        ArrayView<byte> arena,
        ArrayView<SignatureJob> jobs,
        ArrayView<GePrecomp> baseTable,
        ArrayView<ulong> k512,
        ArrayView<GeCached> scratch,
        ArrayView<int> valid)
    {
        valid[i] = VerifyOne(arena, jobs[i], baseTable, k512, scratch, (long)i.X * ScratchPerItem) ? 1 : 0;
    }

    /// <summary>The verdict for one job (callable from any kernel).</summary>
    public static bool VerifyOne(
        ArrayView<byte> arena,
        SignatureJob job,
        ArrayView<GePrecomp> baseTable,
        ArrayView<ulong> k512,
        ArrayView<GeCached> scratch,
        long scratchOffset)
    {
        if (job.PublicKeyOffset < 0 || job.SignatureOffset < 0 || job.MessageLength < 0 || job.MessageOffset < 0)
            return false;
        U256 r = U256.Load(arena, job.SignatureOffset);
        U256 s = U256.Load(arena, job.SignatureOffset + 32);
        U256 a = U256.Load(arena, job.PublicKeyOffset);
        if (!Scalar25519.IsCanonical(s))
            return false;
        if (SmallOrder.HasSmallOrder(r))
            return false;
        if (!SmallOrder.IsCanonicalPoint(a) || SmallOrder.HasSmallOrder(a))
            return false;
        if (!Ge25519.DecodeNegated(a, out GeP3 negA))
            return false;
        var m = new MessageSpec
        {
            Off0 = job.SignatureOffset, Len0 = 32,
            Off1 = job.PublicKeyOffset, Len1 = 32,
            Off2 = job.MessageOffset, Len2 = job.MessageLength,
        };
        U256 h = Scalar25519.ReduceDigest(Sha512.Hash(arena, m, k512));
        Ge25519.FillTable(negA, scratch, scratchOffset);
        U256 check = Ge25519.DoubleScalarMul(Wnaf.From(h, Ge25519.AWidth), scratch, scratchOffset, Wnaf.From(s, Ge25519.BWidth), baseTable);
        return check.EqualTo(r);
    }
}

/// <summary>libsodium's encoding checks on points: the small-order blocklist and y &lt; p.</summary>
internal static class SmallOrder
{
    /// <summary>
    /// <c>ge25519_has_small_order</c>: the encoding, sign bit ignored, equals one of 0, 1, the two
    /// order-8 y values, p-1, p, p+1 (the last three are non-canonical encodings of small-order points).
    /// </summary>
    public static bool HasSmallOrder(U256 s)
    {
        s.W7 &= 0x7FFFFFFF;
        return s.EqualTo(new U256(0, 0, 0, 0, 0, 0, 0, 0))
            || s.EqualTo(new U256(1, 0, 0, 0, 0, 0, 0, 0))
            || s.EqualTo(new U256(0x8F95E826, 0xB027B2C2, 0x89F4C345, 0xF098EFF2, 0x05ACDFD5, 0x3933C6D3, 0x880238B1, 0x05FC536D))
            || s.EqualTo(new U256(0x706A17C7, 0x4FD84D3D, 0x760B3CBA, 0x0F67100D, 0xFA53202A, 0xC6CC392C, 0x77FDC74E, 0x7A03AC92))
            || s.EqualTo(new U256(0xFFFFFFEC, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x7FFFFFFF))
            || s.EqualTo(new U256(0xFFFFFFED, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x7FFFFFFF))
            || s.EqualTo(new U256(0xFFFFFFEE, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x7FFFFFFF));
    }

    /// <summary><c>ge25519_is_canonical</c>: the low 255 bits, as y, are below p (sign bit ignored).</summary>
    public static bool IsCanonicalPoint(U256 s)
    {
        bool topAllOnes = (s.W7 & 0x7FFFFFFF) == 0x7FFFFFFF
            && (s.W6 & s.W5 & s.W4 & s.W3 & s.W2 & s.W1) == 0xFFFFFFFF
            && s.W0 >= 0xFFFFFFED;
        return !topAllOnes;
    }
}
