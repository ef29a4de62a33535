namespace GpuExec.Engine;
internal static class Placeholder { }
