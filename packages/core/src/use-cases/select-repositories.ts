import type { Config } from "../config/schema.js";
import type { EcrGateway, RepositorySummary } from "../ecr-gateway.js";
import type { ScanType } from "../model.js";
import { isRepositorySelected } from "../repository-filter.js";

/** The registry as a scheduled run sees it: every repository, those the config keeps, and the scan type. */
export interface RegistrySelection {
  repositories: RepositorySummary[];
  selected: RepositorySummary[];
  scanType: ScanType;
}

/**
 * Lists the registry's repositories and reads its scan type once (both calls at once), and keeps the
 * repositories `config.repositories` selects. The scheduled run and the CLI's `plan`/`scan` start here.
 */
export async function selectRepositories(
  gateway: EcrGateway,
  filter: Config["repositories"],
  registryId?: string,
): Promise<RegistrySelection> {
  const [repositories, scanType] = await Promise.all([
    gateway.listRepositories(registryId),
    gateway.getRegistryScanType(),
  ]);
  const selected = repositories.filter((r) => isRepositorySelected(r.repositoryName, filter));
  return { repositories, selected, scanType };
}
