using System.Text.RegularExpressions;
using GpuExec.Kernels.Offline;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime;
using ILGPU.Runtime.OpenCL;

namespace GpuExec.NativeDrivers.Tests;

/// <summary>
/// Which kernels the pocl path covers, and why that is sound: the shim maps <c>__generic</c> to
/// <c>__global</c>, which keeps a kernel's meaning only when every generic pointer in it points to
/// global memory. Each kernel's OpenCL C, as ILGPU writes it for pocl's device, is checked for that,
/// then built on pocl through the shim.
/// </summary>
[Collection(PoclCollection.Name), Trait("Category", "CompiledKernels")]
public partial class PoclKernelCoverageTests(PoclFixture pocl)
{
    public static TheoryData<string> Kernels() => new(KernelCatalog.EntryPoints().Select(KernelCatalog.Name));

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Every_kernel_has_only_global_generic_pointers_and_builds_on_pocl(string kernel)
    {
        var acc = (CLAccelerator)pocl.Accelerator;
        var method = KernelCatalog.EntryPoints().Single(m => KernelCatalog.Name(m) == kernel);
        var compiled = (CLCompiledKernel)acc.Backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), KernelSpecialization.Empty);
        Assert.Null(WhyUnsound(compiled.Source));
        uint before = Pocl.RewrittenPrograms();
        using var loaded = acc.LoadAutoGroupedKernel(compiled);
        Assert.True(Pocl.RewrittenPrograms() > before, $"{kernel} was not built through the shim");
    }

    [Theory]
    [InlineData("local int var3[64];", "local memory")]
    [InlineData("__local int* var4;", "local memory")]
    [InlineData("var5 =  work_group_reduce_add ((int)var4);", "work-group function")]
    [InlineData("int var6[8];", "an array variable")]
    [InlineData("var7 =  & var2;", "the address of a variable")]
    [InlineData("var7 = &var2.field_0;", "the address of a variable")]
    public void The_check_refuses_what_could_point_elsewhere(string line, string reason)
    {
        string source = "typedef __generic int* type_1;\nkernel void Kernel_X(global int* view_0)\n{\n\ttype_1 var1;\n\t" + line + "\n}\n";
        Assert.Contains(reason, WhyUnsound(source));
        Assert.Null(WhyUnsound("typedef __generic int* type_1;\nkernel void Kernel_X(global int* view_0)\n{\n\ttype_1 var1;\n\ttype_1 var2;\n\tvar1 = (type_1)view_0;\n\tvar2 =  & var1[3];\n\tvar2 = var1 & 7;\n}\n"));
    }

    /// <summary>
    /// Null when every generic pointer of <paramref name="source"/> is derived from a kernel's
    /// <c>global</c> parameters: no local or private address space, no work-group function, no array
    /// variable (it would be private), and no address taken but of an element reached through a
    /// generic pointer. Otherwise what breaks it.
    /// </summary>
    internal static string? WhyUnsound(string source)
    {
        if (LocalMemory().Match(source) is { Success: true } l)
            return $"local memory or the private address space: '{l.Value}'";
        if (WorkGroupFunction().Match(source) is { Success: true } w)
            return $"a work-group function: '{w.Value}'";
        if (ArrayVariable().Match(source) is { Success: true } a)
            return $"an array variable: '{a.Value.Trim()}'";
        var generic = new HashSet<string>(GenericTypedef().Matches(source).Select(m => m.Groups[1].Value));
        var genericVars = new HashSet<string>(VariableDeclaration().Matches(source).Where(m => generic.Contains(m.Groups[1].Value)).Select(m => m.Groups[2].Value));
        foreach (Match m in AddressOf().Matches(source))
        {
            if (!m.Groups["indexed"].Success || !genericVars.Contains(m.Groups["var"].Value))
                return $"the address of a variable, not of an element through a generic pointer: '{m.Value.Trim()}'";
        }
        return null;
    }

    [GeneratedRegex(@"\b(__local|local|__private|private)\b")]
    private static partial Regex LocalMemory();

    [GeneratedRegex(@"\bwork_group_\w+")]
    private static partial Regex WorkGroupFunction();

    // "int var6[8];" inside a body (struct fields are field_N, parameters view_N).
    [GeneratedRegex(@"^\s*[\w ]+\s+var\d+\s*\[\s*\d+\s*\]\s*;", RegexOptions.Multiline)]
    private static partial Regex ArrayVariable();

    [GeneratedRegex(@"typedef\s+__generic\s+[^;]*?\*\s*(\w+)\s*;")]
    private static partial Regex GenericTypedef();

    [GeneratedRegex(@"^\s*(\w+)\s+(var\d+)\s*;", RegexOptions.Multiline)]
    private static partial Regex VariableDeclaration();

    // A unary '&': after '=', '(', ',' or 'return'; a binary one follows an operand.
    [GeneratedRegex(@"(?:=|\(|,|\breturn)\s*&\s*(?<var>\w+)(?<indexed>\s*\[)?")]
    private static partial Regex AddressOf();
}
