using GpuExec.Engine;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// In the container's own namespace, as the framework's AddLogging and AddOptions are: a host that
// configures its services finds AddGpuExec without importing an engine namespace.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers GpuExec with Microsoft.Extensions.DependencyInjection.</summary>
public static class GpuExecServiceCollectionExtensions
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
