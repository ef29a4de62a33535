using GpuExec.Kernels.Offline;
using GpuExec.Kernels.Ptx;
using GpuExec.Kernels.Verify;
using ILGPU.Backends.PTX;

namespace GpuExec.Kernels.Tests;

/// <summary>The PTX peephole pass: exact rewrites within a basic block, nothing across one.</summary>
public class PtxRewriteTests
{
    [Fact]
    public void Widened_unsigned_product_becomes_mul_wide()
    {
        string ptx = "\tcvt.u64.u32\t%rd1, %r1;\n\tcvt.u64.u32\t%rd2, %r2;\n\tmul.lo.s64\t%rd3, %rd1, %rd2;\n";
        string got = PtxRewrite.WideUnsignedProducts(ptx, out int n);
        Assert.Equal(1, n);
        Assert.Contains("\tmul.wide.u32\t%rd3, %r1, %r2;", got);
    }

    [Theory]
    [InlineData("\tadd.s32\t%r1, %r1, 1;\n")]            // a source redefined
    [InlineData("\tld.u64\t%rd1, [%rd9];\n")]            // a conversion's result redefined
    [InlineData("\tld.v2.u64\t{%rd1, %rd8}, [%rd9];\n")] // ... as part of a vector
    [InlineData("\t@%p1 mov.u32\t%r2, 7;\n")]            // ... by a predicated instruction
    [InlineData("L_1:\n")]                               // a block boundary
    [InlineData("\t@%p1 bra\tL_2;\n")]
    public void Nothing_is_rewritten_past_a_redefinition_or_a_block_boundary(string between)
    {
        string ptx = "\tcvt.u64.u32\t%rd1, %r1;\n\tcvt.u64.u32\t%rd2, %r2;\n" + between + "\tmul.lo.s64\t%rd3, %rd1, %rd2;\n";
        string got = PtxRewrite.WideUnsignedProducts(ptx, out int n);
        Assert.Equal(0, n);
        Assert.Equal(ptx, got);
    }

    [Fact]
    public void Signed_conversions_and_other_products_are_left_alone()
    {
        string ptx = "\tcvt.s64.s32\t%rd1, %r1;\n\tcvt.u64.u32\t%rd2, %r2;\n\tmul.lo.s64\t%rd3, %rd1, %rd2;\n\tmul.lo.s64\t%rd4, %rd2, %rd5;\n";
        Assert.Equal(ptx, PtxRewrite.WideUnsignedProducts(ptx, out int n));
        Assert.Equal(0, n);
    }

    [Fact]
    public void The_Ed25519_kernel_is_rewritten_and_loadable_as_a_compiled_kernel()
    {
        using var context = KernelCatalog.CreateContext();
        using var backend = KernelCatalog.CreatePtxBackend(context);
        var compiled = backend.Compile(
            ILGPU.Backends.EntryPoints.EntryPointDescription.FromImplicitlyGroupedKernel(typeof(Ed25519Kernels).GetMethod(nameof(Ed25519Kernels.Verify))!),
            ILGPU.Runtime.KernelSpecialization.Empty);
        var rewritten = PtxRewrite.Rewrite(compiled, out int n);
        Assert.True(n > 1000, $"{n} products rewritten");
        var ptx = Assert.IsType<PTXCompiledKernel>(rewritten);
        Assert.Contains("mul.wide.u32", ptx.PTXAssembly);
        Assert.Equal(compiled.Name, rewritten.Name);
        // Idempotent: a second pass finds nothing left.
        PtxRewrite.WideUnsignedProducts(ptx.PTXAssembly, out int again);
        Assert.Equal(0, again);
    }
}
