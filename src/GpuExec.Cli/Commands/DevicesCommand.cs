using System.CommandLine;
using GpuExec.Engine.Devices;

namespace GpuExec.Cli.Commands;

/// <summary><c>gpuexec devices</c>: every device <c>--device</c> can name on this machine.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List the devices this machine offers (cpu, ilgpu-cpu, cuda, opencl)");
        command.SetAction(_ =>
        {
            var devices = ComputeDevice.List(out var absence);
            Write(devices, Console.Out);
            foreach (var (kind, reason) in absence)
                Console.Out.WriteLine($"{kind.ToName()}: {reason}");
            return 0;
        });
        return command;
    }

    public static void Write(IReadOnlyList<DeviceInfo> devices, TextWriter w)
    {
        w.WriteLine($"{"device",-10} {"memory",10} {"SMs/cores",9} {"warp",4}  name");
        foreach (var d in devices)
            w.WriteLine($"{d.Kind.ToName(),-10} {FormatBytes(d.MemoryBytes),10} {d.Multiprocessors,9} {d.WarpSize,4}  {d.Name}");
        if (!devices.Any(d => d.Kind is DeviceKind.Cuda or DeviceKind.OpenCl))
            w.WriteLine("no GPU found: --device auto uses cpu");
    }

    private static string FormatBytes(long b) =>
        b >= 1L << 30 ? $"{b / (double)(1L << 30):F1} GiB" : b >= 1L << 20 ? $"{b / (double)(1L << 20):F0} MiB" : $"{b} B";
}
