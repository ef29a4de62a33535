using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuExec.Engine;

/// <summary>Registers GpuExec with Microsoft.Extensions.DependencyInjection.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IBlockExecutor"/> (a singleton <see cref="BlockPipeline"/>, which opens the
    /// device and loads its kernels on first use) configured by <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddGpuExec(this IServiceCollection services, Action<GpuExecOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<GpuExecOptions>();
        if (configure is not null) builder.Configure(configure);
        builder.Validate(o => { o.Validate(); return true; });
        services.TryAddSingleton(sp => new BlockPipeline(
            sp.GetRequiredService<IOptions<GpuExecOptions>>().Value,
            sp.GetService<ILogger<BlockPipeline>>()));
        services.TryAddSingleton<IBlockExecutor>(sp => sp.GetRequiredService<BlockPipeline>());
        return services;
    }
}
