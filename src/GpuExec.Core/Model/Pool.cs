namespace GpuExec.Model;

/// <summary>A constant-product AMM pool (SPEC section 1). Tokens and fee never change after genesis.</summary>
public struct Pool
{
    /// <summary>Pool id, as swaps name it.</summary>
    public uint Id;
    /// <summary>Token of side A.</summary>
    public uint TokenA;
    /// <summary>Token of side B.</summary>
    public uint TokenB;
    /// <summary>Reserve of token A.</summary>
    public ulong ReserveA;
    /// <summary>Reserve of token B.</summary>
    public ulong ReserveB;
    /// <summary>Swap fee in basis points (at most <see cref="MaxFeeBps"/>).</summary>
    public ushort FeeBps;

    /// <summary>The largest fee a pool may have, in basis points.</summary>
    public const ushort MaxFeeBps = 9999;
}
