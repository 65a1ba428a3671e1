import { IGNORED_KIC_FLAGS, IGNORED_KIC_PREFIX, whyIgnored } from "./kic-flags.ts";
import { envNameOf, SECTIONS, SETTINGS, type SettingMeta } from "./schema.ts";

const WIDTH = 100;
const INDENT = "      ";

function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

function defaultText(meta: SettingMeta): string | undefined {
  const raw = meta.defaultRaw;
  if (raw === undefined) return undefined;
  if (typeof raw === "string") return raw === "" ? '""' : raw;
  return raw.length === 0 ? "none" : raw.join(",");
}

function renderSetting(meta: SettingMeta): string[] {
  const head = `  --${meta.flag} <${meta.placeholder}>`;
  const facts = [
    defaultText(meta) === undefined ? undefined : `default ${defaultText(meta) ?? ""}`,
    `env ${envNameOf(meta.flag)}`,
    meta.shape === "list" ? "repeatable" : undefined,
    meta.ours === true ? "kongress only" : undefined,
  ].filter(f => f !== undefined);
  const lines = [head, ...wrap(`${meta.description} (${facts.join("; ")})`, INDENT)];
  if (meta.fileVariant === true) {
    lines.push(`  --${meta.flag}-file <path>`);
    lines.push(
      ...wrap(`Read the value from a file (env ${envNameOf(`${meta.flag}-file`)}).`, INDENT),
    );
  }
  return lines;
}

/**
 * `kongress run --help`, generated from the settings table: every flag with its env name and default,
 * grouped by section, then the KIC flags that are accepted without effect.
 */
export function renderHelp(): string {
  const out = [
    "Usage: kongress run [flags]",
    "",
    "Runs the controller. Every flag can also be set as CONTROLLER_<FLAG> (upper case, dashes as",
    "underscores); a flag wins over its env var. Booleans take --flag or --flag=false.",
  ];
  const all = Object.values(SETTINGS) as SettingMeta[];
  for (const section of SECTIONS) {
    out.push("", `${section}:`);
    for (const meta of all.filter(m => m.section === section)) out.push(...renderSetting(meta));
  }
  out.push(
    "",
    "KIC flags accepted without effect (as flags or CONTROLLER_<FLAG>; a warning names each one given):",
  );
  const ignored = [...Object.keys(IGNORED_KIC_FLAGS), `${IGNORED_KIC_PREFIX}*`].sort();
  for (const flag of ignored) {
    out.push(`  --${flag}`, ...wrap(whyIgnored(`--${flag}`), INDENT));
  }
  return `${out.join("\n")}\n`;
}
