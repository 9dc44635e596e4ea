using DluxShera.Artifacts;
using DluxShera.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: DluxSheraPlugin(typeof(DluxShera.Artifacts.Filesystem.FilesystemStorePlugin))]

namespace DluxShera.Artifacts.Filesystem;

/// <summary>Registers <c>store:filesystem</c>, the embedded default artifact store.</summary>
public sealed class FilesystemStorePlugin : IDluxSheraPlugin
{
    /// <inheritdoc/>
    public string Id => "dluxshera.store.filesystem";

    /// <inheritdoc/>
    public string Version => "0.1.0";

    /// <inheritdoc/>
    public string Description => "dluxshera-run-v0 run directories on the local filesystem";

    /// <inheritdoc/>
    public void Register(IServiceCollection services, IConfiguration options) =>
        services.AddArtifactStore<NoOptions>("filesystem", "runs/<run_id>/ with trace.npz, meta.json, summary.json (atomic writes)",
            (_, _) => new FilesystemArtifactStore());
}

/// <summary>The filesystem store takes no options (the output root comes from the run).</summary>
public sealed class NoOptions;
