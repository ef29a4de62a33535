using GpuExec.Model;

namespace GpuExec.State;

/// <summary>
/// Builds a genesis state: balances, nonces and pools, checked as a genesis file is (SPEC section 1:
/// distinct pool tokens, reserves above 0, a fee of at most 9999 basis points, every token's supply
/// within 2^64-1). <see cref="Build"/> returns a live <see cref="WorldState"/>, which from then on
/// changes only by adopting blocks. A builder builds once.
/// </summary>
public sealed class StateBuilder
{
    private readonly WorldState _state;
    private readonly Dictionary<uint, UInt128> _supply = [];
    private bool _built;

    /// <summary>A builder of a state of chain <paramref name="chainId"/> at <paramref name="height"/> (0 for a genesis).</summary>
    public StateBuilder(uint chainId, ulong height = 0) => _state = new WorldState(chainId, height);

    /// <summary>Sets the balance of <paramref name="token"/> of the account at <paramref name="address"/> (created when new).</summary>
    /// <exception cref="InvalidOperationException">The token's total supply would pass 2^64-1.</exception>
    public StateBuilder SetBalance(Address address, uint token, ulong amount)
    {
        var a = Account(address);
        ulong old = a.Balance(token);
        _supply.TryGetValue(token, out var total);
        total = total - old + amount;
        if (total > ulong.MaxValue) throw new InvalidOperationException($"the total supply of token {token} would exceed 2^64-1 (SPEC section 1)");
        _supply[token] = total;
        a.SetBalance(token, amount);
        return this;
    }

    /// <summary>Sets the nonce of the account at <paramref name="address"/> (created when new).</summary>
    public StateBuilder SetNonce(Address address, ulong nonce)
    {
        Account(address).Nonce = nonce;
        return this;
    }

    /// <summary>Adds a pool.</summary>
    /// <exception cref="ArgumentException">The pool breaks SPEC section 1, or its id is taken.</exception>
    public StateBuilder AddPool(Pool pool)
    {
        ThrowIfBuilt();
        if (_state.HasPool(pool.Id)) throw new ArgumentException($"duplicate pool {pool.Id}", nameof(pool));
        if (pool.TokenA == pool.TokenB) throw new ArgumentException($"pool {pool.Id}: token_a and token_b are both {pool.TokenA}", nameof(pool));
        if (pool.ReserveA == 0 || pool.ReserveB == 0) throw new ArgumentException($"pool {pool.Id}: reserves must be greater than 0", nameof(pool));
        if (pool.FeeBps > Pool.MaxFeeBps) throw new ArgumentException($"pool {pool.Id}: fee_bps {pool.FeeBps} is over {Pool.MaxFeeBps}", nameof(pool));
        foreach (var (token, amount) in new[] { (pool.TokenA, pool.ReserveA), (pool.TokenB, pool.ReserveB) })
        {
            _supply.TryGetValue(token, out var total);
            total += amount;
            if (total > ulong.MaxValue) throw new ArgumentException($"pool {pool.Id}: the total supply of token {token} would exceed 2^64-1 (SPEC section 1)", nameof(pool));
            _supply[token] = total;
        }
        _state.SetPool(pool);
        return this;
    }

    /// <summary>The state, live (its root computed). The builder cannot be used again.</summary>
    public WorldState Build()
    {
        ThrowIfBuilt();
        _built = true;
        _ = _state.StateRoot;
        return _state;
    }

    private Account Account(Address address)
    {
        ThrowIfBuilt();
        if (_state.TryGetAccount(address) is { } a) return a;
        a = new Account(address);
        _state.AddAccount(a);
        return a;
    }

    private void ThrowIfBuilt()
    {
        if (_built) throw new InvalidOperationException("the state was built: it changes only by adopting blocks");
    }
}
