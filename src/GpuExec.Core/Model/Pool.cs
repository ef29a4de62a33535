namespace GpuExec.Model;

/// <summary>A constant-product AMM pool (SPEC section 1). Tokens and fee never change after genesis.</summary>
public struct Pool
{
    public uint Id;
    public uint TokenA;
    public uint TokenB;
    public ulong ReserveA;
    public ulong ReserveB;
    public ushort FeeBps;

    public const ushort MaxFeeBps = 9999;
}
