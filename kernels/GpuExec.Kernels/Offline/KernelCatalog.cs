using System.Reflection;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace GpuExec.Kernels.Offline;

/// <summary>The GPU backends a kernel is compiled for without a device.</summary>
internal enum KernelBackend
{
    /// <summary>NVIDIA PTX for sm_90 (H100/H200).</summary>
    Ptx,

    /// <summary>OpenCL C 2.0 (ILGPU needs the generic address space).</summary>
    OpenCl,
}

/// <summary>
/// Every kernel entry point of this assembly, and ILGPU's own backends to compile them without an
/// accelerator: a change that breaks GPU code generation shows here, on any machine.
/// </summary>
internal static class KernelCatalog
{
    private static readonly Type[] IndexTypes = [typeof(Index1D), typeof(Index2D), typeof(Index3D)];

    /// <summary>
    /// Public static methods of the assembly's top-level static classes (internal since the kernels
    /// are no public API) whose first parameter is an ILGPU index: what an accelerator can launch.
    /// Found by reflection so a new kernel is covered.
    /// </summary>
    public static IReadOnlyList<MethodInfo> EntryPoints(Assembly? assembly = null) =>
        (assembly ?? typeof(KernelCatalog).Assembly).GetTypes()
            .Where(t => !t.IsNested && t.IsAbstract && t.IsSealed)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(IsEntryPoint)
            .OrderBy(Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>Whether <paramref name="m"/> is launchable: static, non-generic, an index first, returns void.</summary>
    public static bool IsEntryPoint(MethodInfo m)
    {
        if (!m.IsStatic || m.IsGenericMethodDefinition || m.ReturnType != typeof(void))
            return false;
        var ps = m.GetParameters();
        return ps.Length > 0 && IndexTypes.Contains(ps[0].ParameterType);
    }

    /// <summary>"Class.Method", the name reports and tests use.</summary>
    public static string Name(MethodInfo m) => $"{m.DeclaringType!.Name}.{m.Name}";

    /// <summary>A context to compile in: no accelerator is opened, the algorithms library is on as on a device.</summary>
    public static Context CreateContext() => Context.Create(b => b.Default().EnableAlgorithms());

    /// <summary>ILGPU's PTX backend for sm_90, ISA 8.0 (no libnvvm).</summary>
    public static Backend CreatePtxBackend(Context context) =>
        new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90),
            CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);

    /// <summary>ILGPU's OpenCL backend (OpenCL C 2.0, 16/64-bit floats and 64-bit atomics allowed).</summary>
    public static Backend CreateOpenClBackend(Context context) =>
        new CLBackend(context, new CLCapabilityContext(true, true, true, true, true),
            CLDeviceVendor.Nvidia, CLCVersion.CL20);

    /// <summary>The backend of <paramref name="kind"/>.</summary>
    public static Backend CreateBackend(Context context, KernelBackend kind) =>
        kind == KernelBackend.Ptx ? CreatePtxBackend(context) : CreateOpenClBackend(context);

    /// <summary>Compiles <paramref name="method"/> as an implicitly grouped kernel and returns its source text (PTX or OpenCL C).</summary>
    public static string Compile(Backend backend, MethodInfo method)
    {
        var compiled = backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), KernelSpecialization.Empty);
        return compiled switch
        {
            PTXCompiledKernel ptx => ptx.PTXAssembly,
            CLCompiledKernel cl => cl.Source,
            _ => throw new InvalidOperationException($"unexpected compiled kernel type {compiled.GetType().Name}"),
        };
    }
}
