/**
 * The `code` family: code injection into an interpreter the application runs, template engines,
 * and serialized objects. PHP (wrappers, `<?php`, dangerous calls, serialized objects), Java (JNDI
 * lookups with their nested-lookup obfuscation, `Runtime.exec`, OGNL/SpEL, serialized streams),
 * Node (`child_process`, `constructor.constructor`), Python (`__import__`, `__mro__`), and server-side
 * templates. A dangerous name is required: `use eval() carefully` and `{{ name }}` pass at level 1.
 *
 * Every pattern here has bounded repetitions only, and the lookup reducer does a fixed number of
 * linear passes, so a scan is linear in the value's length.
 *
 * @internal
 */
import { type DetectionFamily, type FamilyFinding, findingOf, type RuleInfo, type ScanContext } from "../contract.js"
import { isProgramText, isSourceSnippet } from "../programText.js"
import { isUploadName } from "../files/named.js"

const rule = (
  id: string,
  category: string,
  paranoia: RuleInfo["paranoia"],
  score: number,
  description: string
): RuleInfo => ({ id, category, paranoia, score, description })

export const CODE_RULES = {
  phpTag: rule("code-001", "code_injection", 1, 5, "A PHP open tag followed by code: `<?php system(...)`, `<?= ...`"),
  phpWrapper: rule(
    "code-002",
    "file_inclusion",
    1,
    5,
    "A PHP stream wrapper that reads or runs code: `php://filter`, `php://input`, `phar://`, `expect://`, `data://`"
  ),
  dangerousCall: rule(
    "code-003",
    "code_injection",
    1,
    5,
    "A call of a function that runs commands or code with a literal or variable argument (`system('id')`, `eval($_GET[x])`), of a PHP function whose name prose never has (`phpinfo()`, `base64_decode(`, `fsockopen(`), or of either with a comment before the parenthesis (`exec /* x */ (`)"
  ),
  phpSerialized: rule("code-004", "deserialization", 1, 5, "A PHP serialized object: `O:8:\"stdClass\":1:{...}`"),
  java: rule(
    "code-005",
    "code_injection",
    1,
    5,
    "Java reflection or process creation: `java.lang.Runtime`, `getRuntime().exec`, `ProcessBuilder`, `class.module.classLoader`, OGNL `#_memberAccess`, SpEL `T(java.lang...)`"
  ),
  jndi: rule(
    "code-006",
    "code_injection",
    1,
    5,
    "A Log4j JNDI lookup (Log4Shell), also hidden in nested lookups: `${jndi:ldap://...}`, `${${lower:j}ndi:...}`, `${${::-j}${::-n}di:...}`"
  ),
  serialized: rule(
    "code-007",
    "deserialization",
    1,
    5,
    "A serialized object stream: Java (`rO0AB`, `aced0005`), .NET BinaryFormatter, Python pickle, YAML `!!python/object`, `java.beans.XMLDecoder`"
  ),
  node: rule(
    "code-008",
    "code_injection",
    1,
    5,
    "Node.js process access: `require('child_process')`, `process.mainModule`, `constructor.constructor(...)`, `execSync(`"
  ),
  python: rule(
    "code-009",
    "code_injection",
    1,
    5,
    "Python object-graph escapes and imports: `__import__('os')`, `__class__.__mro__`, `__subclasses__()`, `__globals__`, `os.popen(`"
  ),
  template: rule(
    "code-010",
    "template",
    1,
    5,
    "A template expression (`{{ }}`, `{% %}`, `${ }`, `#{ }`, `*{ }`, `<%= %>`) naming a dangerous object or call, or Smarty's reserved variable: `{{config}}`, `{{''.__class__}}`, `${T(java.lang.Runtime)}`, `<%= system('id') %>`, `{$smarty.version}`"
  ),
  phpInterpolation: rule("code-011", "code_injection", 1, 5, "PHP complex interpolation calling a function: `{${sleep(5)}}`, `${@print(md5(1))}`"),
  phpSuperglobal: rule(
    "code-012",
    "code_injection",
    1,
    5,
    "PHP code reading request data or a template's PHP block: `$_GET[...]`, `$_SERVER[...]`, `{php}...{/php}`"
  ),
  phpDynamic: rule(
    "code-013",
    "code_injection",
    1,
    5,
    "PHP calling a function or reading a variable by a computed name (`$a(1)`, `@$__['o'](5)`, `${'ff'}`), building a name with `chr(`, or POSIX functions (`posix_getpwuid(`)"
  ),
  phpCalledExpression: rule(
    "code-014",
    "code_injection",
    1,
    5,
    "PHP calling the value of an expression, a constant or a string literal: `(system)('id');`, `(\"sys\".\"tem\")('id');`, `(x)[0]('id');`"
  ),
  phpSpacedCall: rule(
    "code-015",
    "code_injection",
    1,
    5,
    "A PHP function that runs commands, code or files, called after a tab, line break or run of spaces: `exec\t(x)`, `file\r\n()`"
  ),
  phpUpload: rule(
    "code-016",
    "file_inclusion",
    1,
    5,
    "An uploaded file name that the server would run (PHP, JSP, ASP: `shell.php5`, `a.phtml.`, `cmd.jspx`, `x.aspx`) or that PHP would load as a session (`sess_<id>`), in a file-name header or multipart `filename=`"
  ),
  phpConfig: rule(
    "code-017",
    "code_injection",
    1,
    5,
    "A php.ini directive being set (`allow_url_include=1`, `auto_prepend_file=...`, `opcache.jit=...`): the `.user.ini` and `PHP_VALUE` injection"
  ),
  jsHang: rule(
    "code-018",
    "code_injection",
    1,
    5,
    "A JavaScript or PHP loop that never ends and has no body, for a server that evaluates input: `while(!0);`, `while(true){}`, `for(;;);`"
  ),
  rubyProcess: rule("code-019", "code_injection", 1, 5, "Ruby process creation: `Process.spawn(...)`, `Kernel.exec(...)`, `IO.popen(...)`, `%x(...)` with a command"),
  nodeCode: rule(
    "code-025",
    "code_injection",
    1,
    5,
    "Node.js code a server would evaluate: `process.env`, `module.exports =`, `new Function(`, an anonymous `function() {`, `require('name')`"
  ),
  // 026 was base64 of code: the engine's base64 view now hands the decoded text to every family
  templateStatement: rule(
    "code-027",
    "template",
    2,
    5,
    "A template statement tag: `{% if x %}`, `{% for %}`, `<% if x %>`, `{% import %}`"
  ),
  javaLoose: rule("code-024", "code_injection", 2, 5, "Any Java package path that ends at the runtime or a process builder: `java.x.Runtime`"),
  templateProbe: rule(
    "code-020",
    "template",
    1,
    5,
    "A template expression that only computes (`{{7*7}}`, `${7*7}`, `<%= 7*7 %>`): the probe before an injection"
  ),
  looseCall: rule(
    "code-021",
    "code_injection",
    2,
    5,
    "A call of `eval`, `exec`, `system`, `assert` or similar with any argument"
  ),
  nodeLoose: rule(
    "code-023",
    "code_injection",
    2,
    5,
    "A bare constructor chain (`x.constructor.constructor`) and Perl `@{[ ... ]}` interpolation; at this level also the Node.js code of code-025"
  ),
  phpExtensionCall: rule(
    "code-022",
    "code_injection",
    2,
    5,
    "A call of a PHP extension function by its prefixed name (`array_diff(`, `pg_query(`, `ldap_search(`, `sodium_crypto_box(`) or a network look-up (`gethostbyname(`)"
  )
} as const

/** `<?php`, `<?=`, or a short tag `<? ` (also spelled `<?xml ` before code) followed by code, not a letter as an XML declaration's `version=` is. */
const PHP_TAG = /<\?(?:php\b|=)\s{0,16}\S|<\?(?:xml)?\s{1,16}(?:[^\sa-z<]|(?:echo|print|system|exec|passthru|eval|include|require)\b)/i
const PHP_WRAPPER = /\b(?:php:\/\/(?:filter|input|stdin|stdout|stderr|output|fd|memory|temp)|phar:\/\/|expect:\/\/|zip:\/\/|glob:\/\/|data:\/\/|data:text\/(?:plain|html);base64,)/i
/**
 * A CommonJS import assigned to a name, of a package or a sibling module that nothing is called on
 * (`const c = require('@scope/pkg')`, `= require("./lib")`): every Node README and snippet has these; a
 * PHP inclusion names a path, a URL or a wrapper, and a Node payload calls on what it loads
 * (`require('fs').readFileSync(`). Placed after `require`: it looks back for the `=`.
 */
const PACKAGE_IMPORT = String.raw`(?!\s{0,8}\(\s{0,8}(["'\`])(?:\.\/|@[a-z0-9_-][a-z0-9._-]{0,63}\/)?[a-z0-9_-][a-z0-9._-]{0,63}(?:\/[a-z0-9_-][a-z0-9._-]{0,63}){0,4}\/?\1\s{0,8}\)(?!\s{0,8}[.(\[]))`
/**
 * `require` of a package or a sibling module that reaches no process, file, network or code
 * (`require('debug')('http')`, `require('pg').types`, `require('./')`): Node READMEs are made of these.
 * The built-ins that do (`child_process`, `fs`, `vm`, `net`, `http`...), the packages that run
 * commands (`shelljs`, `execa`), and a member that runs or reads (`.exec(`, `.readFileSync`) still count.
 * Placed right after `require`; `group` is the number its quote's capture gets in the whole pattern.
 */
const harmlessRequire = (group: number): string => {
  const quote = `\\${group}`
  return String.raw`\s{0,8}\(\s{0,8}(["'\`])(?!(?:node:)?(?:child_process|fs|fs-extra|vm|net|os|dns|https?|http2|dgram|tls|cluster|worker_threads|module|process|v8|inspector|repl|shelljs|execa|cross-spawn|node-pty)(?:\/[a-z_]{1,16})?${quote})(?:\.\/(?:[a-z0-9_-][a-z0-9._-]{0,63})?|(?:node:)?(?:@[a-z0-9_-][a-z0-9._-]{0,63}\/)?[a-z0-9_-][a-z0-9._-]{0,63})(?:\/[a-z0-9_-][a-z0-9._-]{0,63}){0,4}\/?${quote}\s{0,8}\)(?!\s{0,8}\.\s{0,8}(?:exec|spawn|fork|run|eval|read|write|open|unlink|rm|mainmodule|constructor|binding|dlopen|kill))`
}
const DANGEROUS_CALL = new RegExp(
  String.raw`(?<![\w.$>])(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|create_function|call_user_func(?:_array)?|preg_replace|base64_decode|str_rot13|gzinflate|file_get_contents|file_put_contents|fwrite|readfile|include|include_once|require(?:(?<!=\s{0,8}require)|${PACKAGE_IMPORT})(?!${harmlessRequire(2)})|require_once|unserialize|highlight_file|show_source|dl)\s{0,8}\(\s{0,8}(?:["'\`$]|\$_|base64_decode|str_rot13|gzinflate|chr\s{0,4}\()`,
  "i"
)
const PHPINFO =
  /(?:phpinfo|base64_decode|gzinflate|gzdecode|gzuncompress|bzdecompress|str_rot13|fsockopen|pfsockopen|call_user_func(?:_array)?|create_function|proc_open|shell_exec|pcntl_exec|assert_options|ini_set|set_error_handler|register_shutdown_function|array_map|move_uploaded_file)\s{0,8}\(/i
/** `$a(1)`, `$$b(2)`, `@$__['o'](5)`, `$__[$_[1]](7)`, `${@a}(10)`, `${'ff'}`: PHP calling a function or reading a variable by a computed name. */
const PHP_DYNAMIC =
  /(?:^|[\s;@=({])\${1,3}[a-z_][a-z0-9_]{0,31}(?:\s{0,4}\[(?:[^[\]\n]|\[[^[\]\n]{0,16}\]){0,32}\])?\s{0,4}\(|\$\{\s{0,8}@?[a-z_][a-z0-9_]{0,31}\s{0,8}\}\s{0,4}\(|\$\s{0,16}\{\s{0,16}['"$]|\bchr\s{0,4}\(\s{0,4}\d|\bposix_[a-z]{3,32}\s{0,8}\(/i
/** A PHP function name, a block or line comment, then the call (`system //c` newline `(...)`): only ever evasion. */
const COMMENTED_CALL =
  /(?<![\w.$>])(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|create_function|call_user_func|preg_replace|base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|file_get_contents|file_put_contents|readfile|include|require|unserialize|phpinfo|fsockopen)\s{0,8}(?:\/\*[^*]{0,64}\*\/|(?:\/\/|#)[^\n]{0,64}\n)\s{0,8}\(/i
const PHP_SUPERGLOBAL = /\$_(?:get|post|server|cookie|request|files|env|session)\s{0,8}\[|\$globals\s{0,8}\[|\{php\}|\[[/\\]?php\]/i
/** A parameter named after a superglobal (`?$_COOKIE=...`): PHP's register-globals overwrite. */
const SUPERGLOBAL_KEY = /^\$_(?:get|post|server|cookie|request|files|env|session)$|^globals$/i
/**
 * A closing parenthesis, bracket or quote, an optional comment, then a call with a literal or bare
 * argument and a statement end: PHP runs `(system)('id');` or `"sys"."tem"('id');` as a call of the
 * expression's value. A bare argument (`(system)(ls);`) counts only right after the closer: prose
 * writes `"hello" (twice);` with a space. A `]` that closes a bracket opened after a space or at a
 * line start around no quote or variable is a Markdown link's label (`see [api](docs/api.md);`), not
 * an index or a callable array (`['Foo', 'bar']('x');`).
 */
const PHP_CALLED_EXPRESSION =
  /(?:[)}"']|(?<!(?:^|[\s!(])\[[^[\]\n'"$]{1,64})\])\s{0,8}(?:\/\*[^*]{0,64}\*\/\s{0,8})?\(\s{0,8}(?:"[^"\n]{0,128}"|'[^'\n]{0,128}')\s{0,8}\)\s{0,8};|(?:[)}]|(?<!(?:^|[\s!(])\[[^[\]\n'"$]{1,64})\])(?:\/\*[^*]{0,64}\*\/)?\([\w$.\-/ ]{1,64}(?:\/\*[^*]{0,64}\*\/)?\)\s{0,8};/
/** Whitespace before the paren that writers never type: a tab, a line break, a vertical tab or three spaces. */
const PHP_SPACED_CALL =
  /(?<![\w.$>])(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|create_function|call_user_func|preg_replace|base64_decode|file|file_get_contents|file_put_contents|fopen|readfile|include|require|unserialize|phpinfo|fsockopen|symlink|chmod|chroot)(?:[ ]{0,8}[\t\r\n\v\f][\s]{0,8}|[ ]{2,16})\(/i
/** A file name PHP would run (`.php`, `.php5`, `.phtml`, `.phar`), trailing dots or spaces allowed, or a session file. */
const PHP_UPLOAD_NAME = /^[^/\\\s]{0,255}\.\s?(?:php\d?|phtml|phar|pht|phps|jspx?|jspf|aspx?|ashx|asmx)[.\s]{0,16}$|(?:^|[/\\])sess_[a-z0-9,-]{20,256}$/i
const MULTIPART_PHP_NAME = /\bfilename\s{0,4}=\s{0,4}"(?:[^"\n/\\]{0,255}\.\s?(?:php\d?|phtml|phar|pht|phps|jspx?|jspf|aspx?|ashx|asmx)[.\s]{0,16}|[^"\n]{0,255}(?:^|[/\\"])sess_[a-z0-9,-]{20,256})"/i
/** php.ini directives an attacker sets; plain words (`engine`, `precision`) are left for level 2. */
const PHP_CONFIG =
  /(?:^|[\s;&])(?:allow_url_(?:include|fopen)|auto_(?:prepend|append)_file|disable_(?:functions|classes)|open_basedir|extension_dir|memory_limit|max_execution_time|display_errors|error_log|include_path|sendmail_path|unserialize_max_depth|(?:opcache|mbstring|session|pcre|zend|phar|assert|mail|xdebug)\.[a-z_]{2,48})\s{0,8}=/i
/** Every directive `PHP_CONFIG` names has a `_` or a `.` in its last word: a search that starts there. */
const PHP_CONFIG_NAME_END = /[_.][a-z_]{0,48}\s{0,8}=/i
const PHP_CONFIG_LOOSE = /^(?:engine|precision|smtp|extension|zend_extension|short_open_tag|register_globals|safe_mode)\s{0,8}=\s{0,8}\S/i
const PHP_EXTENSION_CALL =
  /(?<![\w.$>])(?:array|date|pg|ldap|odbc|sodium|tidy|zend|mysqli|mysql|sqlite|oci|curl|openssl|posix|pcntl|proc|stream|socket|ftp|imap|mb|iconv|gz|bz|zip|xml|dom|simplexml|libxml|apcu|session|ini|get|set|func|ob|highlight|show|parse|str|preg|filter|hash|mcrypt|image|exif|finfo|ssh2|expect|runkit|uopz)_[a-z0-9_]{2,64}\s{0,8}\(|\bgethostbyname[l]?\s{0,8}\(/i
const PHP_SERIALIZED = /\bO:\d{1,6}:"[a-z_\\][a-z0-9_\\]{0,127}":\d{1,6}:\{/i
const JAVA =
  /java\.(?:lang\.)?(?:runtime|processbuilder|system\.|class\.|reflect)|\bprocessbuilder\b|com\.opensymphony\.xwork2|org\.apache\.struts2|\bognl\.ognl|(?:invoker|chained|constant|clone|instantiate)transformer\b|javax\.naming\.|java\.net\.urlclassloader|java\.rmi\.|sun\.misc\.base64decoder|getruntime\s{0,8}\(\s{0,8}\)\s{0,8}\.\s{0,8}exec|\bprocessbuilder\s{0,8}\(|class\.module\.classloader|\bclass\.classloader|_memberaccess|@java\.lang|\bt\s{0,4}\(\s{0,4}java\.|javax\.script\.scriptenginemanager|freemarker\.template\.utility\.(?:execute|objectconstructor)|\.getclass\s{0,4}\(\s{0,4}\)\s{0,4}\.\s{0,4}forname|java\.beans\.xmldecoder|org\.apache\.commons\.(?:io|collections)|xmlapplicationcontext\s{0,4}\(/i
/** A Java package path that ends at the runtime or a process builder: `java.evil.runtime`, level 2. */
const JAVA_LOOSE = /\bjava\.(?:[a-z_$][a-z0-9_$]{0,31}\.){0,4}(?:runtime|processbuilder|scriptenginemanager)\b/i
/** A word every `JAVA` alternative holds: the long alternation runs only on values with one. */
const JAVA_WORD = /java|processbuilder|xwork2|struts2|ognl|transformer|getruntime|classloader|memberaccess|forname|freemarker|sun\.misc|commons\.|applicationcontext/i
/**
 * A word every `NODE` alternative holds. `function` counts only after `new` (or as `__js_function`),
 * as `NODE` reads it: every bundle has `function`, few have `new Function`.
 */
const NODE_WORD = /child_process|nd_func|js_function|fromcharcode|new\s{1,8}function|mainmodule|constructor|binding|sync|process\./i
/** Either: one search rules both out in most text (CSV, prose, JSON text). */
const JAVA_OR_NODE_WORD = new RegExp(`${JAVA_WORD.source}|${NODE_WORD.source}`, "i")
const SERIALIZED =
  /\brO0AB[A-Za-z0-9+/]|\baced0005|AAEAAAD\/\/\/\/\/|!!python\/(?:object|name|module)|!!javax\.|!!java\.|\bc__builtin__\b|\bcos\nsystem\b|<java\s{1,8}version=|<object\s{1,8}class=["']java\./
const NODE =
  /require\s{0,8}\(\s{0,8}["'`]child_process|_\$\$nd_func\$\$_|__js_function|eval\s{0,8}\(\s{0,8}string\.fromcharcode|\bnew\s{1,8}function\s{0,8}\(\s{0,8}["'`]|\bchild_process\b(?=["'`]?\s{0,4}\)?\s{0,4}(?:\.(?![\s"'`)]|$)|[[(]))|process\.mainmodule|constructor\.constructor\s{0,8}\(|\bprocess\.binding\s{0,8}\(|\b(?:exec|spawn)sync\s{0,8}\(|global\.process\.|this\.constructor\.constructor/i
const PYTHON =
  /__import__\s{0,8}\(|__class__|__mro__|__subclasses__|__globals__|__builtins__|__base__|\bos\.(?:popen|system|exec[lv]p?e?)\s{0,8}\(|\bsubprocess\.(?:popen|call|run|check_output)\s{0,8}\(|\bimport\s{1,8}(?:os|subprocess|socket|pty)\b[^\n]{0,64}[;\n]/i
const JS_HANG =
  /\bwhile\s{0,4}\(\s{0,4}(?:!\s{0,4}(?:[-+]?0|false|""|''|``|null|undefined)|true|infinity|1)\s{0,4}\)\s{0,4}(?:;|\{\s{0,4}\}|\s{0,4}$)|\bfor\s{0,4}\(\s{0,4};\s{0,4};\s{0,4}\)\s{0,4}(?:;|\{\s{0,4}\})/i
const RUBY_PROCESS =
  /\b(?:process\.spawn|kernel\.(?:exec|system|spawn|open)|io\.popen|open3\.(?:popen\d?|capture\d?)\w{0,8})\s{0,4}\(|%x\s{0,2}[({[]\s{0,4}[a-z]/i
/**
 * The weak signs of Node code: every snippet of several lines (`isSourceSnippet`) reads its settings
 * and exports its module, and documentation names them in code spans (`` `process.env.PORT` ``).
 */
const NODE_WEAK = /\bprocess\.env\b|\bmodule\.exports\s{0,4}=/i
/** A Markdown code span holding only a name or a property path: named in prose, not evaluated. */
const NAME_SPANS = /`[\w$.[\]'"-]{1,120}`/g
const NODE_CODE = new RegExp(
  String.raw`\bnew\s{1,8}function\s{0,8}\(|(?<!=\s{0,8})\brequire(?!${harmlessRequire(1)})\s{0,8}\(\s{0,8}["'\`][a-z_./-]{1,64}["'\`]\s{0,8}\)|\brequire(?!${harmlessRequire(2)})\s{0,8}\(\s{0,8}["'\`][a-z_./-]{1,64}["'\`]\s{0,8}\)(?=\s{0,8}[.(\[])`,
  "i"
)
/** An anonymous `function () {`: weak, so not in a snippet of several lines of code (`isSourceSnippet`). */
const NODE_FUNCTION = /\bfunction\s{0,8}\(\s{0,64}\)\s{0,8}\{/i
const TEMPLATE_STATEMENT = /(?:\{%-?|<%)\s{0,8}(?:if|elif|else|for|endfor|endif|set|import|from|include|extends|block|macro|call|with|raw|filter|end)\b[^%\n]{0,128}-?%[}>]/i
const NODE_LOOSE = /\bprocess\.env\b|\bmodule\.exports\s{0,4}=|\bnew\s{1,8}function\s{0,8}\(|constructor\s{0,4}\.\s{0,4}constructor\b|@\{\s{0,8}\[/i
/**
 * `{${sleep(5)}}`, and `${@print(md5(x))}` without the outer braces: inside a double-quoted PHP string
 * `${expr}` names a variable by evaluating `expr`, so a call there runs. Without the braces only a call
 * silenced by `@` counts: `${format(x)}` is a JavaScript template literal, `${@` is PHP's alone.
 */
const PHP_INTERPOLATION = /(?:\{\s{0,4}\$\s{0,4}\{\s{0,4}@?|\$\s{0,4}\{\s{0,4}@\s{0,4})[a-z_][a-z0-9_]{0,31}\s{0,4}\(/i

/** Openers of a template expression and how far inside one we look. */
const TEMPLATE_OPEN = /\{\{|\{%|\$\{|#\{|\*\{|@\{|<%=?|\[\[|\[#|\{php\}/g
const TEMPLATE_WINDOW = 256
const TEMPLATE_DANGER =
  /\b(?:config|self|request|settings|app|joiner|cycler|lipsum|namespace|url_for|get_flashed_messages|range\.constructor|getclass(?:loader)?|forname|getruntime|runtime|processbuilder|system|exec|popen|eval|spawn|file\.(?:open|read)|io\.popen|kernel|dump|getenv|env|product|_self|_context|filter|registerundefinedfilter|assign|new\s{0,4}\(|classloader|beans|springframework|freemarker|velocity|ognl|mro|subclasses|globals|builtins|import|attr)\b|__[a-z]{2,16}__|`|\bt\s{0,4}\(|["']\s{0,4}\.\s{0,4}[a-z_]{1,32}\s{0,4}\(/gi
/**
 * Whether the expression `opener` starts is closed before `end`: `{{a}` or `[#78](...)` in prose,
 * or `${x}` in a JavaScript template, followed later by a back-quote, is not an expression naming it.
 * Nested braces (`{{ {}.__class__ }}`) are counted; the look is bounded by `TEMPLATE_WINDOW`.
 */
const closedBefore = (value: string, opener: RegExpExecArray, end: number): boolean => {
  const open = opener[0]
  const start = opener.index + open.length
  if (open.startsWith("<%")) return value.slice(start, end).includes("%>")
  const [inner, outer] = open.startsWith("[") ? ["[", "]"] : ["{", "}"]
  let depth = 0
  for (let i = start; i < end; i++) {
    const c = value.charAt(i)
    if (c === inner) depth++
    else if (c === outer && --depth < 0) return true
  }
  return false
}

/**
 * The dangerous name that follows a template opener within `TEMPLATE_WINDOW` characters, if any.
 * Openers and dangerous names are each found by one global search and merged like two sorted lists,
 * so the work is linear however many openers the value has.
 */
/**
 * Openers of the engines where a back-quote runs a shell command: Ruby's ERB (`<%= \`id\` %>`) and
 * interpolation (`#{\`id\`}`), Perl's `@{[ \`id\` ]}`. In a JavaScript template a back-quote opens a
 * nested template (`${pc.italic(\`you\`)}`), and Jinja, Twig and Handlebars give it no meaning.
 */
const SHELL_QUOTING_OPENERS: ReadonlySet<string> = new Set(["<%", "<%=", "#{", "@{"])

/**
 * Whether a back-quote inside the expression `opener` starts runs a command. Perl interpolates code
 * only as `@{[ ... ]}`: a bare `@{` (Razor's code block, or the symbols of a generated password such as
 * `Zq8@{w\`pL!3`) gives a back-quote no meaning.
 */
const runsBackQuote = (value: string, opener: RegExpExecArray): boolean =>
  SHELL_QUOTING_OPENERS.has(opener[0]) && (opener[0] !== "@{" || PERL_ARRAY_CODE.test(value.slice(opener.index + 2, opener.index + 7)))
const PERL_ARRAY_CODE = /^\s{0,4}\[/

const templateDanger = (value: string): string | undefined => {
  TEMPLATE_OPEN.lastIndex = 0
  TEMPLATE_DANGER.lastIndex = 0
  // Openers are rarer than dangerous words (`config`, `self`) in prose and JSON text: look for one first.
  let opener = TEMPLATE_OPEN.exec(value)
  let danger = opener === null ? null : TEMPLATE_DANGER.exec(value)
  while (opener !== null && danger !== null) {
    if (danger.index < opener.index + opener[0].length) {
      TEMPLATE_DANGER.lastIndex = Math.max(TEMPLATE_DANGER.lastIndex, opener.index + opener[0].length)
      danger = TEMPLATE_DANGER.exec(value)
    } else if (danger.index < opener.index + TEMPLATE_WINDOW && !closedBefore(value, opener, danger.index)) {
      if (danger[0] !== "`" || runsBackQuote(value, opener)) return danger[0]
      danger = TEMPLATE_DANGER.exec(value)
    } else {
      opener = TEMPLATE_OPEN.exec(value)
    }
  }
  return undefined
}

/** Smarty's reserved variable, read for the engine's version, constants and template object: `{$smarty.version}`. */
const SMARTY_VARIABLE = /\{\s{0,4}\$smarty\s{0,4}\./i
/** A number a filter computes on, whole or decimal, bare or quoted (`7`, `7.0`, `'7'`). */
const NUMBER_LITERAL = String.raw`["']?\d{1,8}(?:\.\d{1,8})?["']?`

/**
 * A template expression that only computes on number literals: with an operator (`{{7*7}}`, `${7*7}`,
 * `<%= 7*7 %>`), through a filter (Liquid's `{{7 | times: 7}}`, Django's `{{7|add:7}}`), in a statement
 * tag that prints (`{% raw 7*7 %}`, `{% print 7*7 %}`) or as Smarty's `{math equation="7*7"}`. A filter or
 * an equation on a variable (`{{ price | times: 1.2 }}`, `{math equation="x*y" x=3}`) is a template's own.
 * Prose that documents a filter with literals (`Input: {{ 16 | divided_by: 4 }}`) is refused as `{{2+2}}` is.
 */
const TEMPLATE_PROBE = new RegExp(
  [
    "(?:\\{\\{|\\$\\{\\{?|#\\{|\\*\\{|<%=?|\\[\\[)\\s{0,4}\\d{1,8}\\s{0,4}[*+/-]\\s{0,4}\\d{1,8}\\s{0,4}(?:\\}|%>|\\]\\])",
    `\\{\\{\\s{0,4}${NUMBER_LITERAL}\\s{0,4}\\|\\s{0,4}(?:times|plus|minus|divided_by|modulo|add|multiply)\\s{0,4}[:(]\\s{0,4}${NUMBER_LITERAL}\\s{0,4}\\)?\\s{0,4}\\}\\}`,
    "\\{%-?\\s{0,4}(?:raw|print)\\s{1,4}\\d{1,8}\\s{0,4}[*+/-]\\s{0,4}\\d{1,8}\\s{0,4}-?%\\}",
    "\\{math\\s{1,4}equation\\s{0,4}=\\s{0,4}[\"']?\\s{0,4}\\d{1,8}\\s{0,4}[*+/-]\\s{0,4}\\d{1,8}\\s{0,4}[\"'}]"
  ].join("|"),
  "i"
)
const LOOSE_CALL = /(?<![\w.$])(?:eval|exec|system|assert|passthru|shell_exec|popen|execute)\s{0,8}\(\s{0,8}[^)\s]/i

/** Log4j lookups reduced to what they print: `${lower:J}` is `j`, `${::-n}` is `n`, `${env:X:-d}` is `d`. */
const LOOKUP = /\$\{([^{}]{0,64})\}/g
const reduceLookups = (value: string): string => {
  let text = value
  // Nested lookups resolve innermost first; five rounds undo the nesting attackers use.
  for (let round = 0; round < 5 && text.includes("${"); round++) {
    const next = text.replace(LOOKUP, (whole, inner: string) => {
      const lower = inner.toLowerCase()
      if (lower.startsWith("jndi:")) return whole
      const fallback = inner.indexOf(":-")
      if (fallback >= 0) return inner.slice(fallback + 2)
      const colon = inner.indexOf(":")
      if (colon >= 0 && /^(?:lower|upper|env|sys|java|date|main|ctx|map|sd|bundle|k8s|docker|spring|log4j|web|jvmrunargs|base64|event|marker)$/.test(lower.slice(0, colon))) {
        return inner.slice(colon + 1)
      }
      return whole
    })
    if (next === text) break
    text = next
  }
  return text
}
const JNDI = /\$\{\s{0,4}jndi\s{0,4}:/i
/** A brace escaped with a backslash. */
const ESCAPED_BRACE = /\\([{}])/g

// Gates: a part every match of a pattern has, searched for before the pattern. Each stops only at
// the character its part starts with (a `(`, a `)`, a line break), where the pattern tries a dozen
// names at every letter of a long text; a gate that fails rules its pattern out.

/** `DANGEROUS_CALL`'s argument: a quote, a variable or a decoder right inside the parenthesis. */
const CALL_ARGUMENT = /\(\s{0,8}(?:["'`$]|base64_decode|str_rot13|gzinflate|chr\s{0,4}\()/i
/** `PHPINFO` read back from each `(`. */
const PHPINFO_CALLED = new RegExp(`\\((?<=${PHPINFO.source})`, "i")
/** `COMMENTED_CALL`'s comment end, then the parenthesis. */
const COMMENT_THEN_CALL = /(?:\*\/|\n)\s{0,8}\(/
/** `PHP_SPACED_CALL`'s whitespace before the parenthesis: a control character, or two spaces. */
const SPACED_PARENTHESIS = /[\t\r\n\v\f]\s{0,8}\(| {2}\(/
/** The scheme `PHP_WRAPPER` needs before `://` ends in one of these letters (`php`, `phar`, `expect`, `zip`, `glob`, `data`); `http` does not. */
const WRAPPER_SCHEME = /[prtba]:\/\/|data:text\//i
/** A piece of every `RUBY_PROCESS` alternative. */
const RUBY_WORD = /process\.|kernel\.|io\.popen|open3\.|%x/i
/** How every `PHP_CALLED_EXPRESSION` alternative ends: a parenthesis closed, then a semicolon. */
const CLOSED_STATEMENT = /\)\s{0,8};/

/**
 * What every rule needs one of, in four searches: one of `<{$(:_!@#*[`, a dotted name (`.php`,
 * `.env`, `.exports`), a letter before `=`, or a word (`constructor`, `runtime`, `java.`...). Split so
 * that the words, tried at every letter, are not tried again for every symbol.
 */
const INTEREST_CHARS = /[<{$(:_!@#*[]/
const INTEREST_DOTTED = /\.\s?(?:ph|jsp|as[hmp])|\.env\b|\.exports/i
const INTEREST_ASSIGNED = /[a-z]\s?=/i
const INTEREST_WORDS = /constructor|ro0ab|aced0005|classloader|processbuilder|runtime|java\.|xwork2|struts2|transformer|javax\./i

const mayMatch = (value: string): boolean =>
  INTEREST_CHARS.test(value) ||
  (value.includes(".") && INTEREST_DOTTED.test(value)) ||
  (value.includes("=") && INTEREST_ASSIGNED.test(value)) ||
  INTEREST_WORDS.test(value)

/**
 * Code hidden in base64 (`eval(atob(...))` receives it so) is found in the engine's base64 view of
 * the value, which every family reads (`part: "decoded"`).
 */
const scan = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => scanText(value, context)

const scanText = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const findings: Array<FamilyFinding> = []
  const test = (found: RuleInfo, pattern: RegExp, text: string = value) => {
    if (found.paranoia > context.paranoia) return
    const match = pattern.exec(text)
    if (match !== null) findings.push(findingOf(found, `${found.description.split(":")[0]}: ${match[0]}`))
  }
  // asked several times below: each answer once
  const call = value.includes("(")
  const brace = value.includes("{")
  const dotted = value.includes(".")
  const underscore = value.includes("_")
  const lookup = value.includes("${")
  if (value.includes("<?")) test(CODE_RULES.phpTag, PHP_TAG)
  if (value.includes(":/") && WRAPPER_SCHEME.test(value)) test(CODE_RULES.phpWrapper, PHP_WRAPPER)
  if (call) {
    if (CALL_ARGUMENT.test(value)) test(CODE_RULES.dangerousCall, DANGEROUS_CALL)
    if (findings.length === 0 && PHPINFO_CALLED.test(value)) test(CODE_RULES.dangerousCall, PHPINFO)
    if (findings.length === 0 && (value.includes("/*") || value.includes("//") || value.includes("#")) && COMMENT_THEN_CALL.test(value)) {
      test(CODE_RULES.dangerousCall, COMMENTED_CALL)
    }
  }
  if (value.includes(":{")) test(CODE_RULES.phpSerialized, PHP_SERIALIZED)
  if (value.includes("$_") || value.includes("php") || value.includes("PHP")) test(CODE_RULES.phpSuperglobal, PHP_SUPERGLOBAL)
  if (context.location === "key") test(CODE_RULES.phpSuperglobal, SUPERGLOBAL_KEY)
  if (value.includes(")") && value.includes(";") && CLOSED_STATEMENT.test(value)) test(CODE_RULES.phpCalledExpression, PHP_CALLED_EXPRESSION)
  if (call && SPACED_PARENTHESIS.test(value)) test(CODE_RULES.phpSpacedCall, PHP_SPACED_CALL)
  // an upload's file name in a multipart field: the files family's `readsName` marks these names
  if (context.location === "header" || (context.parameter !== undefined && context.location !== "key" && isUploadName(context.parameter))) {
    test(CODE_RULES.phpUpload, PHP_UPLOAD_NAME)
  }
  if (value.includes("filename")) test(CODE_RULES.phpUpload, MULTIPART_PHP_NAME)
  if (value.includes("=")) {
    if (PHP_CONFIG_NAME_END.test(value)) test(CODE_RULES.phpConfig, PHP_CONFIG)
    if (context.paranoia >= 2) test(CODE_RULES.phpConfig, PHP_CONFIG_LOOSE)
  }
  if (call || brace) test(CODE_RULES.phpDynamic, PHP_DYNAMIC)
  if (dotted || underscore) {
    // The two long alternations run only on values holding one of their words.
    if (JAVA_OR_NODE_WORD.test(value)) {
      if (JAVA_WORD.test(value)) test(CODE_RULES.java, JAVA)
      if (NODE_WORD.test(value)) test(CODE_RULES.node, NODE)
    }
  }
  if (underscore || value.includes("import")) test(CODE_RULES.python, PYTHON)
  test(CODE_RULES.serialized, SERIALIZED)
  // `$\{jndi:...\}`: braces escaped for a layer that unescapes them (a shell, a properties file, a
  // JSON or YAML string) before Log4j reads the text
  const lookups = value.includes("$\\{") ? value.replace(ESCAPED_BRACE, "$1") : lookup ? value : undefined
  if (lookups !== undefined && (JNDI.test(lookups) || JNDI.test(reduceLookups(lookups)))) {
    findings.push(findingOf(CODE_RULES.jndi, `JNDI lookup: ${value}`))
  }
  if (lookup) {
    test(CODE_RULES.phpInterpolation, PHP_INTERPOLATION)
  }
  if (brace || value.includes("<%") || value.includes("[[")) test(CODE_RULES.templateProbe, TEMPLATE_PROBE)
  const danger = templateDanger(value)
  if (danger !== undefined) findings.push(findingOf(CODE_RULES.template, `template expression naming ${danger}`))
  if (value.includes("$smarty") || value.includes("$SMARTY")) test(CODE_RULES.template, SMARTY_VARIABLE)
  // a bundle or source file is made of these: the strong signs above still count in one
  if ((dotted || call) && !isProgramText(value)) {
    test(CODE_RULES.nodeCode, NODE_CODE)
    const snippet = isSourceSnippet(value)
    if (!snippet) test(CODE_RULES.nodeCode, NODE_WEAK, value.includes("`") ? value.replace(NAME_SPANS, " ") : value)
    if (findings.length === 0 && value.includes("function") && !snippet) test(CODE_RULES.nodeCode, NODE_FUNCTION)
  }
  if (context.paranoia >= 2) {
    if (value.includes("%")) test(CODE_RULES.templateStatement, TEMPLATE_STATEMENT)
  }
  if (call) {
    test(CODE_RULES.jsHang, JS_HANG)
    if (RUBY_WORD.test(value)) test(CODE_RULES.rubyProcess, RUBY_PROCESS)
  }
  if (context.paranoia >= 2) {
    test(CODE_RULES.nodeLoose, NODE_LOOSE)
    test(CODE_RULES.javaLoose, JAVA_LOOSE)
    test(CODE_RULES.looseCall, LOOSE_CALL)
    test(CODE_RULES.phpExtensionCall, PHP_EXTENSION_CALL)
  }
  if (findings.length < 2) return findings
  const seen = new Set<string>()
  return findings.filter((finding) => !seen.has(finding.ruleId) && seen.add(finding.ruleId) !== undefined)
}

export const family: DetectionFamily = {
  name: "code",
  rules: Object.values(CODE_RULES),
  mayMatch,
  scan
}
