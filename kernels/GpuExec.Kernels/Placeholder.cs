namespace GpuExec.Kernels;
internal static class Placeholder { }
