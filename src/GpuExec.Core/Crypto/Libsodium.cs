using System.Runtime.InteropServices;

namespace GpuExec.Crypto;

/// <summary>
/// Ed25519 verification exactly as SPEC section 5 defines it: libsodium's
/// <c>crypto_sign_ed25519_verify_detached</c>, called directly (the library NSec.Cryptography
/// ships), so the verdict is libsodium's bit for bit and no call allocates.
/// </summary>
internal static unsafe partial class Libsodium
{
    private const string Lib = "libsodium";

    static Libsodium()
    {
        // NSec initialises libsodium too; doing it here keeps this class usable on its own.
        if (sodium_init() < 0)
            throw new InvalidOperationException("libsodium failed to initialise (sodium_init < 0).");
    }

    /// <summary>libsodium's verdict for an Ed25519 signature. Wrong lengths are <c>false</c>.</summary>
    public static bool Ed25519Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64)
            return false;
        fixed (byte* pk = publicKey)
        fixed (byte* m = message)
        fixed (byte* sig = signature)
        {
            // A null pointer for an empty message is fine for libsodium, but pass a valid one anyway.
            byte dummy = 0;
            return crypto_sign_ed25519_verify_detached(sig, m == null ? &dummy : m, (ulong)message.Length, pk) == 0;
        }
    }

    /// <summary>Derives an Ed25519 key pair from a 32-byte seed (used by the block generator and tests).</summary>
    public static void Ed25519KeyPairFromSeed(ReadOnlySpan<byte> seed, Span<byte> publicKey, Span<byte> secretKey)
    {
        if (seed.Length != 32 || publicKey.Length != 32 || secretKey.Length != 64)
            throw new ArgumentException("Ed25519 seed and public key are 32 bytes, the secret key 64.");
        fixed (byte* s = seed)
        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
        {
            if (crypto_sign_ed25519_seed_keypair(pk, sk, s) != 0)
                throw new InvalidOperationException("crypto_sign_ed25519_seed_keypair failed.");
        }
    }

    /// <summary>Signs <paramref name="message"/> with a 64-byte libsodium secret key.</summary>
    public static void Ed25519Sign(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> message, Span<byte> signature)
    {
        if (secretKey.Length != 64 || signature.Length < 64)
            throw new ArgumentException("Ed25519 secret key is 64 bytes, the signature 64.");
        fixed (byte* sk = secretKey)
        fixed (byte* m = message)
        fixed (byte* sig = signature)
        {
            byte dummy = 0;
            if (crypto_sign_ed25519_detached(sig, null, m == null ? &dummy : m, (ulong)message.Length, sk) != 0)
                throw new InvalidOperationException("crypto_sign_ed25519_detached failed.");
        }
    }

    [LibraryImport(Lib)]
    private static partial int sodium_init();

    [LibraryImport(Lib)]
    private static partial int crypto_sign_ed25519_verify_detached(byte* sig, byte* m, ulong mlen, byte* pk);

    [LibraryImport(Lib)]
    private static partial int crypto_sign_ed25519_seed_keypair(byte* pk, byte* sk, byte* seed);

    [LibraryImport(Lib)]
    private static partial int crypto_sign_ed25519_detached(byte* sig, ulong* siglen, byte* m, ulong mlen, byte* sk);
}
