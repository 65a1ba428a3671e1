import { describe, expect, it } from "vitest";
import { ConfigSettingsInvalidError, loadConfig } from "../../../src/config/load.ts";
import { renderHelp } from "../../../src/config/help.ts";

const PUBLISH = "--publish-status-address=10.0.0.1";

function load(argv: string[], env: Record<string, string> = {}) {
  return loadConfig({ argv: [PUBLISH, ...argv], env });
}

function problems(argv: string[]): { setting: string; message: string }[] {
  try {
    load(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigSettingsInvalidError);
    return [...(err as ConfigSettingsInvalidError).problems];
  }
  throw new Error("expected loadConfig to throw");
}

describe("leader-election settings", () => {
  it("default to client-go's timings, KIC's Lease name, and election on", () => {
    const c = load([]);
    expect({
      id: c.electionId,
      namespace: c.electionNamespace,
      force: c.forceLeaderElection,
      lease: c.electionLeaseDurationMs,
      renew: c.electionRenewDeadlineMs,
      retry: c.electionRetryPeriodMs,
    }).toEqual({
      id: "5b374a9e.konghq.com",
      namespace: undefined,
      force: undefined,
      lease: 15_000,
      renew: 10_000,
      retry: 2_000,
    });
  });

  it("are read from flags and from CONTROLLER_* variables", () => {
    const c = load(
      [
        "--election-lease-duration=3s",
        "--election-renew-deadline=2s",
        "--force-leader-election=disabled",
      ],
      { CONTROLLER_ELECTION_RETRY_PERIOD: "250ms", CONTROLLER_ELECTION_NAMESPACE: "kong" },
    );
    expect([c.electionLeaseDurationMs, c.electionRenewDeadlineMs, c.electionRetryPeriodMs]).toEqual(
      [3000, 2000, 250],
    );
    expect(c.forceLeaderElection).toBe("disabled");
    expect(c.electionNamespace).toBe("kong");
  });

  it.each<[string, string[], { setting: string; message: RegExp }]>([
    [
      "a lease duration that is not whole seconds",
      ["--election-lease-duration=1500ms"],
      { setting: "--election-lease-duration", message: /whole seconds/ },
    ],
    [
      "a renew deadline not shorter than the lease",
      ["--election-lease-duration=10s"],
      {
        setting: "--election-renew-deadline",
        message: /shorter than --election-lease-duration \(10s\)/,
      },
    ],
    [
      "a retry period too close to the renew deadline",
      ["--election-retry-period=9s"],
      {
        setting: "--election-retry-period",
        message: /--election-renew-deadline \(10s\) divided by 1.2/,
      },
    ],
    [
      "a retry period that, with the renew deadline, reaches the lease duration",
      ["--election-retry-period=6s"],
      {
        setting: "--election-renew-deadline",
        message:
          /plus --election-retry-period \(6s\) must be shorter than --election-lease-duration \(15s\)/,
      },
    ],
    [
      "a renew deadline that, with the retry period, reaches the lease duration",
      ["--election-renew-deadline=14s"],
      {
        setting: "--election-renew-deadline",
        message:
          /plus --election-retry-period \(2s\) must be shorter than --election-lease-duration \(15s\)/,
      },
    ],
    [
      "a zero retry period",
      ["--election-retry-period=0"],
      { setting: "--election-retry-period", message: /longer than 0/ },
    ],
    [
      "an unknown election mode",
      ["--force-leader-election=auto"],
      { setting: "--force-leader-election", message: /.+/ },
    ],
  ])("reject %s", (_what, argv, expected) => {
    const found = problems(argv);
    expect(found).toHaveLength(1);
    expect(found[0]?.setting).toBe(expected.setting);
    expect(found[0]?.message).toMatch(expected.message);
  });

  it("are listed by --help, with the way to switch election off", () => {
    const help = renderHelp();
    for (const flag of [
      "--election-id",
      "--election-namespace",
      "--force-leader-election",
      "--election-lease-duration",
      "--election-renew-deadline",
      "--election-retry-period",
    ])
      expect(help).toContain(flag);
    expect(help).toContain("enabled|disabled");
  });
});
