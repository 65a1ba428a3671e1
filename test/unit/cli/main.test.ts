import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Command } from "../../../src/cli/command.ts";
import { COMMANDS, EXIT_INTERNAL, runCli } from "../../../src/cli/main.ts";
import { ControllerError } from "../../../src/errors.ts";
import { cli, repoRoot } from "./support.ts";

function collect(): { sink: { write: (s: string) => void }; text: () => string } {
  const chunks: string[] = [];
  return { sink: { write: s => chunks.push(s) }, text: () => chunks.join("") };
}

async function runWith(commands: readonly Command[], argv: readonly string[]) {
  const out = collect();
  const err = collect();
  const code = await runCli({ argv, stdout: out.sink, stderr: err.sink, cwd: repoRoot, commands });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe("kongress (top level)", () => {
  it("prints the usage on stderr and exits 2 without a command", async () => {
    const run = await cli([]);
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toContain("Usage: kongress <command>");
  });

  it.each([["--help"], ["-h"], ["help"]])("%s lists every command on stdout", async flag => {
    const run = await cli([flag]);
    expect(run.code).toBe(0);
    for (const command of COMMANDS) expect(run.stdout).toContain(`  ${command.name}`);
    expect(run.stderr).toBe("");
  });

  it("--version prints the package.json version", async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    expect(await cli(["--version"])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it.each([
    [["translate", "--help"], "Usage: kongress translate"],
    [["translate", "-f", "x", "-h"], "Usage: kongress translate"],
    [["help", "translate"], "Usage: kongress translate"],
    [["validate", "--help"], "Usage: kongress validate"],
    [["help", "validate"], "Usage: kongress validate"],
  ])("%j prints the command's help", async (argv, heading) => {
    const run = await cli(argv);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith(heading)).toBe(true);
    expect(run.stdout).toContain("Exit status:");
  });
});

describe("usage errors exit 2 with a hint and nothing on stdout", () => {
  it.each([
    [["deploy"], 'kongress: unknown command "deploy"'],
    [["--verbose"], 'kongress: unknown option "--verbose"'],
    [["help", "deploy"], 'kongress: unknown command "deploy"'],
    [["translate"], "kongress translate: at least one -f PATH is required"],
    [["translate", "-f", ""], "kongress translate: -f needs a non-empty PATH"],
    [["translate", "-f"], "kongress translate: Option '-f, --filename <value>' argument missing"],
    [
      ["translate", "-f", "examples", "--frobnicate"],
      "kongress translate: Unknown option '--frobnicate'",
    ],
    [["translate", "-f", "examples", "extra"], "kongress translate: Unexpected argument 'extra'"],
    [
      ["translate", "-f", "examples", "-o", "xml"],
      'kongress translate: -o "xml": expected one of json, yaml',
    ],
    [
      ["translate", "-f", "examples", "--ingress-class", "Not_A_Name"],
      'kongress translate: --ingress-class "Not_A_Name": expected an IngressClass name',
    ],
    [["validate", "-f", "examples", "-o", "yaml"], "kongress validate: Unknown option '-o'"],
    [
      ["translate", "-f", "examples", "--router-flavor", "traditional"],
      'kongress translate: --router-flavor "traditional": expected one of traditional_compatible, expressions',
    ],
    [
      ["validate", "-f", "examples", "--router-flavor", "fast"],
      'kongress validate: --router-flavor "fast": expected one of traditional, traditional_compatible, expressions',
    ],
  ])("%j", async (argv, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.startsWith(message)).toBe(true);
    expect(run.stderr).toMatch(/Run 'kongress( \w+)? --help' for usage\.\n$/);
  });
});

describe("the command table", () => {
  const calls: (readonly string[])[] = [];
  const extra: Command = {
    name: "hello",
    summary: "Say hello.",
    help: () => "Usage: kongress hello\n",
    run: (args, ctx) => {
      calls.push(args);
      ctx.stdout.write("hello\n");
      return Promise.resolve(0);
    },
  };

  it("dispatches a command added as one entry, and lists it in the help", async () => {
    expect(await runWith([...COMMANDS, extra], ["hello", "--loud"])).toEqual({
      code: 0,
      stdout: "hello\n",
      stderr: "",
    });
    expect(calls).toEqual([["--loud"]]);
    expect((await runWith([...COMMANDS, extra], ["--help"])).stdout).toContain("  hello ");
  });

  it("exits 2 with the message of a ControllerError, without a stack", async () => {
    const failing: Command = {
      ...extra,
      run: () => Promise.reject(new ControllerError("ERR_TEST", "the thing is broken")),
    };
    expect(await runWith([failing], ["hello"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "kongress hello: the thing is broken\n",
    });
  });

  it("reports any other error as an internal error with its stack", async () => {
    const buggy: Command = { ...extra, run: () => Promise.reject(new TypeError("x is undefined")) };
    const run = await runWith([buggy], ["hello"]);
    expect(run.code).toBe(EXIT_INTERNAL);
    expect(run.stderr).toContain(
      "kongress hello: internal error (a bug): TypeError: x is undefined",
    );
    expect(run.stderr).toContain("main.test.ts");
  });
});
