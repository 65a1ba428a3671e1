import { RE2JS } from "re2js";
const pats = ["^/\\e","^/\\cA","^/\\0","^/\\012","^/\\x41","^/\\p{Foo}","^*","^/(?P<1a>x)","^/(?P<a.b>x)", "^/a{1,2}{3}", "*a", "^/a{2}*", "^/(?i)(?-i:a)", "^/(?iu)a", "^/\\v", "^/[\\d-z]", "^/a|*", "^/(*)", "^/(|a)", "^/\\pL", "^/[^]", "^/[]a]", "^/x{2,}", "^/x{,}"];
for (const p of pats) {
  try { RE2JS.compile(p); console.log("OK  ", p); }
  catch (e) { console.log("ERR ", p, "|", e.constructor.name, "|", e.error, "|", e.input); }
}
