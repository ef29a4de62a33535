using System.Text;
using GpuExec.State;

namespace GpuExec.Core.Tests;

public class StateJsonTests
{
    private const string A = "4b5d0fba2a1358af9a0287532cff42897f6bffc04bc55911370868e5eb812ab0";
    private const string B = "0a1efa2ad451b5c94f42b9335937a3bcb1481889783aae1431648fb5c9f54513";

    private static string Fails(string json)
    {
        var e = Assert.Throws<StateFormatException>(() => StateJson.Parse(Encoding.UTF8.GetBytes(json), "g.json"));
        Assert.StartsWith("g.json: ", e.Message);
        return e.Message;
    }

    private static string Acc(string addr, string balances = "{\"0\": 5}", string nonce = "0") =>
        $"{{\"address\": \"{addr}\", \"nonce\": {nonce}, \"balances\": {balances}}}";

    private static string Pool(string id = "0", string ta = "1", string tb = "2", string ra = "10", string rb = "10", string fee = "30") =>
        $"{{\"id\": {id}, \"token_a\": {ta}, \"token_b\": {tb}, \"reserve_a\": {ra}, \"reserve_b\": {rb}, \"fee_bps\": {fee}}}";

    private static string State(string accounts = "", string pools = "", string extra = "") =>
        $"{{\"chain_id\": 1{extra}, \"accounts\": [{accounts}], \"pools\": [{pools}]}}";

    [Fact]
    public void Valid_genesis_reads()
    {
        var s = StateJson.Parse(Encoding.UTF8.GetBytes(State(Acc(A) + "," + Acc(B, "{\"0\": 18446744073709551610}"), Pool())));
        Assert.Equal(2, s.AccountCount);
        Assert.Equal(1, s.PoolCount);
    }

    [Theory]
    [InlineData("{", "malformed JSON")]
    [InlineData("[]", "top level")]
    [InlineData("{\"accounts\": []}", "chain_id: is missing")]
    [InlineData("{\"chain_id\": 4294967296}", "chain_id: 4294967296 is out of range for u32")]
    [InlineData("{\"chain_id\": -1}", "chain_id: -1 is negative")]
    [InlineData("{\"chain_id\": 1.5}", "chain_id: 1.5 is not an integer")]
    [InlineData("{\"chain_id\": \"1\"}", "chain_id: must be an integer")]
    [InlineData("{\"chain_id\": 1, \"chain_id\": 2}", "appears twice")]
    [InlineData("{\"chain_id\": 1, \"colour\": 2}", "colour: unknown field")]
    public void Top_level_faults_are_named(string json, string expected) => Assert.Contains(expected, Fails(json));

    [Fact]
    public void Account_faults_are_named()
    {
        Assert.Contains("accounts[0].balances[\"0\"]: 18446744073709551616 is out of range for u64", Fails(State(Acc(A, "{\"0\": 18446744073709551616}"))));
        Assert.Contains("accounts[1].address: duplicate account", Fails(State(Acc(A) + "," + Acc(A))));
        Assert.Contains("accounts[0].address: must be 64 hex", Fails(State(Acc("xyz"))));
        Assert.Contains("accounts[0].balances[\"x\"]: the key must be a token id", Fails(State(Acc(A, "{\"x\": 1}"))));
        Assert.Contains("accounts[0].balances[\"4294967296\"]", Fails(State(Acc(A, "{\"4294967296\": 1}"))));
        Assert.Contains("duplicate token 0", Fails(State(Acc(A, "{\"0\": 1, \"0\": 2}"))));
        Assert.Contains("accounts[0].nonce: 1e3 is not an integer", Fails(State(Acc(A, nonce: "1e3"))));
        Assert.Contains("total supply of token 0 exceeds 2^64-1", Fails(State(Acc(A, "{\"0\": 18446744073709551615}") + "," + Acc(B, "{\"0\": 1}"))));
    }

    [Fact]
    public void Pool_faults_are_named()
    {
        Assert.Contains("pools[0]: token_a and token_b are both 1", Fails(State(pools: Pool(ta: "1", tb: "1"))));
        Assert.Contains("pools[0].reserve_a: must be greater than 0", Fails(State(pools: Pool(ra: "0"))));
        Assert.Contains("pools[0].reserve_b: must be greater than 0", Fails(State(pools: Pool(rb: "0"))));
        Assert.Contains("pools[0].fee_bps: 10000 is over the maximum 9999", Fails(State(pools: Pool(fee: "10000"))));
        Assert.Contains("pools[1].id: duplicate pool 0", Fails(State(pools: Pool() + "," + Pool())));
        Assert.Contains("total supply of token 1 exceeds", Fails(State(Acc(A, "{\"1\": 18446744073709551615}"), Pool())));
        Assert.Contains("pools[0].fee_bps: is missing", Fails(State(pools: "{\"id\": 0, \"token_a\": 1, \"token_b\": 2, \"reserve_a\": 1, \"reserve_b\": 1}")));
    }

    [Fact]
    public void A_state_root_that_does_not_match_is_refused()
    {
        var s = StateJson.Parse(Encoding.UTF8.GetBytes(State(Acc(A))));
        var root = s.StateRoot.ToHex();
        StateJson.Parse(Encoding.UTF8.GetBytes(State(Acc(A), extra: $", \"state_root\": \"{root}\"")));
        var wrong = (root[0] == '0' ? "1" : "0") + root[1..];
        Assert.Contains("state_root: " + wrong + " does not match", Fails(State(Acc(A), extra: $", \"state_root\": \"{wrong}\"")));
    }

    [Fact]
    public void Missing_file_is_named()
    {
        var e = Assert.Throws<StateFormatException>(() => StateJson.ReadFile("/no/such/genesis.json"));
        Assert.Contains("/no/such/genesis.json", e.Message);
    }

    [Fact]
    public void Empty_accounts_are_left_out_of_dumps_and_roots()
    {
        var withEmpty = StateJson.Parse(Encoding.UTF8.GetBytes(State(Acc(A) + "," + Acc(B, "{\"0\": 0, \"3\": 0}"))));
        var without = StateJson.Parse(Encoding.UTF8.GetBytes(State(Acc(A))));
        Assert.Equal(without.StateRoot, withEmpty.StateRoot);
        Assert.Equal(Dump(without), Dump(withEmpty));
    }

    internal static string Dump(WorldState s)
    {
        using var ms = new MemoryStream();
        StateJson.WriteDump(s, ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
