/**
 * The error catalog. Every error the controller raises on purpose has a stable `code`; callers branch on
 * `err.code`, never on message text. Codes are never reused for another meaning.
 */

export class ControllerError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A setting (flag, env var, file) failed validation at start-up. */
export class ConfigInvalidError extends ControllerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CONFIG_INVALID", message, options);
  }
}

/** A manifest file could not be read or parsed. */
export class ManifestError extends ControllerError {
  readonly file: string;
  readonly line: number | undefined;

  constructor(file: string, message: string, line?: number, options?: { cause?: unknown }) {
    super("ERR_MANIFEST", message, options);
    this.file = file;
    this.line = line;
  }
}
