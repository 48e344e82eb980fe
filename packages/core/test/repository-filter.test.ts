import { describe, expect, it } from "vitest";
import { isRepositorySelected } from "../src/repository-filter.js";

describe("isRepositorySelected", () => {
  it("keeps every repository when neither include nor exclude is set", () => {
    expect(isRepositorySelected("team-a/api", {})).toBe(true);
  });

  it("keeps only what include matches, when include alone is set", () => {
    expect(isRepositorySelected("team-a/api", { include: /^team-a\// })).toBe(true);
    expect(isRepositorySelected("team-b/api", { include: /^team-a\// })).toBe(false);
  });

  it("drops what exclude matches, when exclude alone is set", () => {
    expect(isRepositorySelected("team-a/sandbox", { exclude: /sandbox/ })).toBe(false);
    expect(isRepositorySelected("team-a/api", { exclude: /sandbox/ })).toBe(true);
  });

  it("lets exclude win over include", () => {
    expect(isRepositorySelected("team-a/sandbox", { include: /^team-a\//, exclude: /sandbox/ })).toBe(false);
  });
});
