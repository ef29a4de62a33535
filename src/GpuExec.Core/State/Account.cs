using System.Runtime.CompilerServices;
using GpuExec.Model;

namespace GpuExec.State;

/// <summary>
/// One account: nonce and per-token balances, kept sorted by token (the order leaf data and dumps
/// need). Most accounts hold a handful of tokens, so a linear scan beats a map.
/// <para>An account object is a value, not a place: once a state holds it, it is never changed.
/// A block works on copies (<see cref="Clone"/>) and the state adopts the copies that changed,
/// through the block's <see cref="ChangeSet"/>; so an object that a change set or a reader was
/// handed keeps describing the state it was read from.</para>
/// </summary>
public sealed class Account
{
    private Entry[] _entries;
    private int _count;
    private ulong _nonce;

    private struct Entry
    {
        public uint Token;
        public ulong Amount;
    }

    /// <summary>An empty account (nonce 0, no balances) at <paramref name="address"/>.</summary>
    public Account(Address address)
    {
        Address = address;
        _entries = new Entry[4];
    }

    private Account(Address address, Entry[] entries, int count, ulong nonce)
    {
        Address = address;
        _entries = entries;
        _count = count;
        _nonce = nonce;
    }

    /// <summary>The account's address.</summary>
    public Address Address { get; }

    /// <summary>The nonce the account's next transaction must carry.</summary>
    public ulong Nonce
    {
        get => _nonce;
        internal set => _nonce = value;
    }

    /// <summary>Number of token entries (zero balances may be among them).</summary>
    public int EntryCount => _count;
    /// <summary>Token of entry <paramref name="i"/> (0 to <see cref="EntryCount"/> - 1), in ascending token order.</summary>
    public uint TokenAt(int i) => _entries[i].Token;
    /// <summary>Amount of entry <paramref name="i"/>.</summary>
    public ulong AmountAt(int i) => _entries[i].Amount;

    /// <summary>True when SPEC section 6 gives this account no leaf: nonce 0 and no non-zero balance.</summary>
    public bool IsEmpty
    {
        get
        {
            if (_nonce != 0) return false;
            for (int i = 0; i < _count; i++) if (_entries[i].Amount != 0) return false;
            return true;
        }
    }

    /// <summary>The balance of <paramref name="token"/> (0 when the account holds none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Balance(uint token)
    {
        var e = _entries;
        for (int i = 0; i < _count; i++)
            if (e[i].Token == token) return e[i].Amount;
        return 0;
    }

    /// <summary>Sets the balance of <paramref name="token"/> (building a genesis state).</summary>
    internal void SetBalance(uint token, ulong amount)
    {
        var e = _entries;
        for (int i = 0; i < _count; i++)
        {
            if (e[i].Token == token) { e[i].Amount = amount; return; }
        }
        if (amount == 0) return;
        Insert(token, amount);
    }

    /// <summary>Adds a credit. The supply invariant (SPEC section 1) guarantees it cannot overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Credit(uint token, ulong amount)
    {
        var e = _entries;
        for (int i = 0; i < _count; i++)
        {
            if (e[i].Token == token) { e[i].Amount = checked(e[i].Amount + amount); return; }
        }
        if (amount != 0) Insert(token, amount);
    }

    /// <summary>Subtracts <paramref name="amount"/>; the caller has checked the balance covers it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Debit(uint token, ulong amount)
    {
        var e = _entries;
        for (int i = 0; i < _count; i++)
        {
            if (e[i].Token == token) { e[i].Amount = checked(e[i].Amount - amount); return; }
        }
        if (amount != 0) throw new InvalidOperationException($"debit of {amount} from an empty balance of token {token}");
    }

    private void Insert(uint token, ulong amount)
    {
        if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
        var e = _entries;
        int pos = _count;
        while (pos > 0 && e[pos - 1].Token > token)
        {
            e[pos] = e[pos - 1];
            pos--;
        }
        e[pos] = new Entry { Token = token, Amount = amount };
        _count++;
    }

    /// <summary>A deep copy.</summary>
    public Account Clone()
    {
        var entries = new Entry[Math.Max(4, _count)];
        Array.Copy(_entries, entries, _count);
        return new Account(Address, entries, _count, _nonce);
    }

    /// <summary>
    /// Whether the two accounts have the same leaf data (SPEC section 6): the same address, nonce
    /// and non-zero balances. Entries holding zero do not count.
    /// </summary>
    public bool SameLeaf(Account other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Address != other.Address || _nonce != other._nonce) return false;
        int i = 0, j = 0;
        var a = _entries;
        var b = other._entries;
        while (true)
        {
            while (i < _count && a[i].Amount == 0) i++;
            while (j < other._count && b[j].Amount == 0) j++;
            if (i == _count || j == other._count) return i == _count && j == other._count;
            if (a[i].Token != b[j].Token || a[i].Amount != b[j].Amount) return false;
            i++;
            j++;
        }
    }
}
