using System.Reflection;
using System.Runtime.CompilerServices;

namespace GpuExec.PublicApi.Tests;

public class SurfaceTests
{
    /// <summary>These tests see what an integrator sees: no product assembly grants this one its internals.</summary>
    [Fact]
    public void No_product_assembly_grants_this_test_project_its_internals()
    {
        string me = typeof(SurfaceTests).Assembly.GetName().Name!;
        var products = new[] { typeof(Wire.BlockCodec).Assembly, typeof(Engine.BlockPipeline).Assembly, typeof(Storage.RocksDbStateStore).Assembly };
        foreach (var a in products)
        {
            var grants = a.GetCustomAttributes<InternalsVisibleToAttribute>().Select(g => g.AssemblyName.Split(',')[0]).ToList();
            Assert.NotEmpty(grants);
            Assert.DoesNotContain(me, grants);
        }
    }
}
