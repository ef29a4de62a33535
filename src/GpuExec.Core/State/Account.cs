using System.Runtime.CompilerServices;
using GpuExec.Model;

namespace GpuExec.State;

/// <summary>
/// One account: nonce and per-token balances, kept sorted by token (the order the state root
/// and dumps need). Most accounts hold a handful of tokens, so a linear scan beats a map.
/// Every mutation marks the account dirty, so the state root rehashes only what changed.
/// </summary>
public sealed class Account
{
    private uint[] _tokens;
    private ulong[] _amounts;
    private int _count;
    private ulong _nonce;

    /// <summary>An empty account (nonce 0, no balances) at <paramref name="address"/>.</summary>
    public Account(Address address)
    {
        Address = address;
        _tokens = new uint[4];
        _amounts = new ulong[4];
        Dirty = Unsaved = true;
    }

    /// <summary>The account's address.</summary>
    public Address Address { get; }

    /// <summary>Set by every mutation; cleared by the state root once it has rehashed the leaf.</summary>
    internal bool Dirty;
    internal byte[]? LeafHash;

    /// <summary>Set by every mutation; a persistent store clears it once the account is written.</summary>
    internal bool Unsaved { get; set; }
    internal bool HasLeaf;
    /// <summary>Set when the state removed the account (it ended a block empty); the root cache drops it.</summary>
    internal bool Removed;
    /// <summary>Position of the account's leaf in the state tree; -1 until the tree is built.</summary>
    internal int LeafIndex = -1;

    /// <summary>The nonce the account's next transaction must carry.</summary>
    public ulong Nonce
    {
        get => _nonce;
        internal set { _nonce = value; Dirty = Unsaved = true; }
    }

    /// <summary>Number of token entries (zero balances may be among them).</summary>
    public int EntryCount => _count;
    /// <summary>Token of entry <paramref name="i"/> (0 to <see cref="EntryCount"/> - 1), in ascending token order.</summary>
    public uint TokenAt(int i) => _tokens[i];
    /// <summary>Amount of entry <paramref name="i"/>.</summary>
    public ulong AmountAt(int i) => _amounts[i];

    /// <summary>True when SPEC section 6 gives this account no leaf: nonce 0 and no non-zero balance.</summary>
    public bool IsEmpty
    {
        get
        {
            if (_nonce != 0) return false;
            for (int i = 0; i < _count; i++) if (_amounts[i] != 0) return false;
            return true;
        }
    }

    /// <summary>The balance of <paramref name="token"/> (0 when the account holds none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Balance(uint token)
    {
        for (int i = 0; i < _count; i++)
            if (_tokens[i] == token) return _amounts[i];
        return 0;
    }

    /// <summary>Sets the balance of <paramref name="token"/> (building a genesis state).</summary>
    public void SetBalance(uint token, ulong amount)
    {
        Dirty = Unsaved = true;
        for (int i = 0; i < _count; i++)
        {
            if (_tokens[i] == token) { _amounts[i] = amount; return; }
        }
        if (amount == 0) return;
        Insert(token, amount);
    }

    /// <summary>Adds a credit. The supply invariant (SPEC section 1) guarantees it cannot overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Credit(uint token, ulong amount)
    {
        Dirty = Unsaved = true;
        for (int i = 0; i < _count; i++)
        {
            if (_tokens[i] == token) { _amounts[i] = checked(_amounts[i] + amount); return; }
        }
        if (amount != 0) Insert(token, amount);
    }

    /// <summary>Subtracts <paramref name="amount"/>; the caller has checked the balance covers it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Debit(uint token, ulong amount)
    {
        Dirty = Unsaved = true;
        for (int i = 0; i < _count; i++)
        {
            if (_tokens[i] == token) { _amounts[i] = checked(_amounts[i] - amount); return; }
        }
        if (amount != 0) throw new InvalidOperationException($"debit of {amount} from an empty balance of token {token}");
    }

    private void Insert(uint token, ulong amount)
    {
        if (_count == _tokens.Length)
        {
            Array.Resize(ref _tokens, _count * 2);
            Array.Resize(ref _amounts, _count * 2);
        }
        int pos = _count;
        while (pos > 0 && _tokens[pos - 1] > token)
        {
            _tokens[pos] = _tokens[pos - 1];
            _amounts[pos] = _amounts[pos - 1];
            pos--;
        }
        _tokens[pos] = token;
        _amounts[pos] = amount;
        _count++;
    }

    /// <summary>A deep copy (the copy is dirty, so its leaf is hashed afresh).</summary>
    public Account Clone()
    {
        var a = new Account(Address) { _nonce = _nonce, _count = _count };
        a._tokens = (uint[])_tokens.Clone();
        a._amounts = (ulong[])_amounts.Clone();
        return a;
    }
}
