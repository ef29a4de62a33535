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

    [Theory]
    [InlineData("\tcvt.u64.u32\t%rd1, %r1; cvt.u64.u32\t%rd2, %r2;\n\tmul.lo.s64\t%rd3, %rd1, %rd2;\n")]
    [InlineData("\tcvt.u64.u32\t%rd1, %r1;\n\tcvt.u64.u32\t%rd2, %r2;\n\tmul.lo.s64\t%rd3, %rd1, %rd2; add.s64 %rd4, %rd3, %rd3;\n")]
    [InlineData("\tcvt.u64.u32\t%rd1, %r1;\n\tcvt.u64.u32\t%rd2, %r2;\n\t{ mov.u32 %r1, 7; }\n\tmul.lo.s64\t%rd3, %rd1, %rd2;\n")]
    public void Ptx_with_more_than_one_instruction_on_a_line_is_left_unchanged(string ptx)
    {
        // The pass reads one instruction per line: on such a line it would miss the second
        // instruction's definitions (here %rd2 defined, %r1 redefined) and could rewrite wrongly.
        Assert.True(PtxRewrite.HasMultiInstructionLine(ptx));
        Assert.Equal(ptx, PtxRewrite.WideUnsignedProducts(ptx, out int n));
        Assert.Equal(0, n);
    }

    [Fact]
    public void Comments_after_an_instruction_are_not_a_second_instruction()
    {
        string ptx = "\tcvt.u64.u32\t%rd1, %r1; // widen a\n\tcvt.u64.u32\t%rd2, %r2;\n\tmul.lo.s64\t%rd3, %rd1, %rd2;   \n";
        Assert.False(PtxRewrite.HasMultiInstructionLine(ptx));
        PtxRewrite.WideUnsignedProducts(ptx, out int n);
        Assert.Equal(1, n);
    }

    [Fact]
    public void A_register_cap_goes_between_each_entrys_parameters_and_body()
    {
        string ptx = ".visible .entry A(\n\t.param .b32 a\n)\n{\n\tret;\n}\n.visible .entry B(\n)\n{\n\tret;\n}\n";
        string got = PtxRewrite.MaxRegisters(ptx, 168, out int entries);
        Assert.Equal(2, entries);
        Assert.Equal(".visible .entry A(\n\t.param .b32 a\n)\n.maxnreg 168\n{\n\tret;\n}\n.visible .entry B(\n)\n.maxnreg 168\n{\n\tret;\n}\n", got);
        // Once is enough: a module that already names a cap is left as it is.
        Assert.Equal(got, PtxRewrite.MaxRegisters(got, 96, out entries));
        Assert.Equal(0, entries);
        Assert.Throws<ArgumentOutOfRangeException>(() => PtxRewrite.MaxRegisters(ptx, 8, out _));
    }

    [Fact]
    public void The_Ed25519_kernel_takes_a_register_cap()
    {
        using var context = KernelCatalog.CreateContext();
        using var backend = KernelCatalog.CreatePtxBackend(context);
        var compiled = backend.Compile(
            ILGPU.Backends.EntryPoints.EntryPointDescription.FromImplicitlyGroupedKernel(typeof(Ed25519Kernels).GetMethod(nameof(Ed25519Kernels.Verify))!),
            ILGPU.Runtime.KernelSpecialization.Empty);
        var capped = Assert.IsType<PTXCompiledKernel>(PtxRewrite.Rewrite(compiled, true, 168, out int n, out bool isCapped));
        Assert.True(isCapped);
        Assert.True(n > 1000);
        int entry = capped.PTXAssembly.IndexOf(".entry ", StringComparison.Ordinal);
        int cap = capped.PTXAssembly.IndexOf(".maxnreg 168", StringComparison.Ordinal);
        int body = capped.PTXAssembly.IndexOf('{', entry);
        Assert.InRange(cap, entry, body);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0", null)]
    [InlineData("168", 168)]
    public void The_cap_setting_parses(string? text, int? expected)
    {
        var old = Environment.GetEnvironmentVariable(PtxRewrite.MaxRegistersVariable);
        try
        {
            Environment.SetEnvironmentVariable(PtxRewrite.MaxRegistersVariable, text);
            Assert.Equal(expected, PtxRewrite.MaxRegistersSetting());
        }
        finally
        {
            Environment.SetEnvironmentVariable(PtxRewrite.MaxRegistersVariable, old);
        }
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("8")]
    [InlineData("300")]
    [InlineData("-1")]
    public void A_bad_cap_setting_is_refused_naming_the_variable(string text)
    {
        var old = Environment.GetEnvironmentVariable(PtxRewrite.MaxRegistersVariable);
        try
        {
            Environment.SetEnvironmentVariable(PtxRewrite.MaxRegistersVariable, text);
            var ex = Assert.Throws<FormatException>(() => PtxRewrite.MaxRegistersSetting());
            Assert.StartsWith(PtxRewrite.MaxRegistersVariable + ": '" + text + "'", ex.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(PtxRewrite.MaxRegistersVariable, old);
        }
    }
}
