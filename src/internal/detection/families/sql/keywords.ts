/**
 * The SQL vocabulary the tokenizer knows, across MySQL, PostgreSQL, SQL Server, Oracle and SQLite,
 * and the function names whose call alone says what an injection is after (delays, errors that leak
 * data, files, commands).
 *
 * @internal
 */

export type WordKind = "logical" | "compare" | "arith" | "union" | "statement" | "keyword" | "literal" | "word"

const group = (kind: WordKind, words: string): ReadonlyArray<readonly [string, WordKind]> =>
  words.split(" ").map((w) => [w, kind] as const)

const WORDS: ReadonlyMap<string, WordKind> = new Map([
  ...group("logical", "and or xor not"),
  ...group("compare", "like rlike regexp is in between sounds glob ilike similar"),
  ...group("arith", "div mod collate escape"),
  ...group("union", "union intersect except"),
  ...group(
    "statement",
    "select insert update delete drop create alter truncate exec execute declare shutdown grant revoke merge call waitfor handler rename begin commit rollback load copy pragma attach goto replace"
  ),
  ...group(
    "keyword",
    "from where into values table database schema order group by having limit offset procedure case when then else end as all distinct join on top outfile dumpfile delay time set with asc desc procedure analyse fetch first next rows only returning using cross inner left right outer natural escape binary exists any some lock share mode for"
  ),
  ...group("literal", "null true false current_user session_user system_user current_date current_time current_timestamp localtime localtimestamp utc_date utc_time utc_timestamp")
])

/** A word's first letter, last letter and length (31 for longer ones), as an index of a shape table. */
const shapeOf = (word: string): number =>
  ((word.charCodeAt(0) & 31) << 10) | ((word.charCodeAt(word.length - 1) & 31) << 5) | Math.min(word.length, 31)

/**
 * A test that rules most words out of `words` by their shape, without hashing them for a set: the
 * largest cost of a prose word to the tokenizer and the rules is looking it up. Other characters
 * may share a shape (`& 31` folds them): a coincidence only costs the lookup. Words are non-empty.
 */
export const shapeFilter = (words: Iterable<string>): ((word: string) => boolean) => {
  const shapes = new Uint8Array(1 << 15)
  for (const word of words) shapes[shapeOf(word)] = 1
  return (word) => shapes[shapeOf(word)] === 1
}

const mayBeVocabulary = shapeFilter(WORDS.keys())

export const classify = (word: string): WordKind => (word.length > 0 && mayBeVocabulary(word) ? WORDS.get(word) ?? "word" : "word")

/** Calls that make a database wait: blind, time-based injection. */
export const DELAY_FUNCTIONS: ReadonlySet<string> = new Set([
  "sleep",
  "pg_sleep",
  "benchmark",
  "dbms_lock.sleep",
  "dbms_session.sleep",
  "dbms_pipe.receive_message",
  "randomblob",
  "pg_sleep_for",
  "pg_sleep_until"
])

/** Calls used to leak data through an error message or an out-of-band channel. */
export const LEAK_FUNCTIONS: ReadonlySet<string> = new Set([
  "extractvalue",
  "updatexml",
  "utl_inaddr.get_host_address",
  "utl_inaddr.get_host_name",
  "utl_http.request",
  "ctxsys.drithsx.sn",
  "ctxsys.ctx_report.token_type",
  "dbms_xdb_version.checkin",
  "dbms_utility.sqlid_to_sqlhash",
  "xmltype",
  "gtid_subset",
  "geometrycollection",
  "multipoint",
  "multilinestring",
  "multipolygon",
  "linestring",
  "json_keys",
  "name_const",
  "load_file",
  "xp_cmdshell",
  "xp_dirtree",
  "xp_fileexist",
  "xp_regread",
  "sp_oacreate",
  "sp_executesql",
  "openrowset",
  "opendatasource",
  "master..xp_cmdshell",
  "lo_import",
  "lo_export",
  "pg_read_file",
  "pg_ls_dir",
  "dblink",
  "dbms_java.runjava",
  "sys_eval",
  "sys_exec",
  "fn_xe_file_target_read_file",
  "load_extension",
  "filetoclob",
  "dbms_xmlgen.getxml",
  "dbms_xmlquery.getxml",
  "sqlite_compileoption_used",
  "sqlite_compileoption_get",
  "lo_get",
  "lo_from_bytea"
])

/** Calls that probe the server: harmless in a query, telling in a request value. */
export const PROBE_FUNCTIONS: ReadonlySet<string> = new Set([
  "version",
  "database",
  "user",
  "current_user",
  "session_user",
  "system_user",
  "schema",
  "db_name",
  "user_name",
  "suser_sname",
  "host_name",
  "connection_id",
  "last_insert_id",
  "row_count",
  "found_rows",
  "sqlite_version",
  "pg_backend_pid",
  "current_database",
  "current_setting",
  "current_schema",
  "@@version"
])

/** Calls that build or pick apart values: the tools of blind extraction. */
export const EXTRACT_FUNCTIONS: ReadonlySet<string> = new Set([
  "concat",
  "concat_ws",
  "group_concat",
  "char",
  "chr",
  "nchar",
  "ascii",
  "unicode",
  "ord",
  "substring",
  "substr",
  "mid",
  "left",
  "right",
  "length",
  "len",
  "hex",
  "unhex",
  "cast",
  "convert",
  "if",
  "iif",
  "ifnull",
  "isnull",
  "nullif",
  "coalesce",
  "elt",
  "make_set",
  "count",
  "md5",
  "sha1",
  "rand",
  "floor",
  "exp",
  "pi",
  "cos",
  "instr",
  "locate",
  "position",
  "string_agg",
  "listagg",
  "to_char",
  "decode",
  "aes_encrypt",
  "aes_decrypt",
  "lpad",
  "rpad",
  "reverse",
  "soundex"
])

/**
 * Calls that pick one of their arguments by a condition, the switch of a boolean-blind probe:
 * `if(1=1,a,b)`, T-SQL's `iif`, MySQL's `elt(1=1,a)` and `make_set(1=1,a)` (a true condition counts as 1).
 */
export const CONDITIONAL_FUNCTIONS: ReadonlySet<string> = new Set(["if", "iif", "elt", "make_set"])

/** Names of the catalogues an attacker reads to learn the schema. */
export const CATALOGUE_PREFIXES: ReadonlyArray<string> = [
  "information_schema.",
  "pg_catalog.",
  "mysql.user",
  "mysql.db",
  "sys.objects",
  "sys.tables",
  "sys.columns",
  "sys.databases",
  "sys.sql_logins",
  "master..sysdatabases",
  "master.dbo.",
  "performance_schema.",
  "sysibm.",
  "rdb$"
]

export const CATALOGUE_WORDS: ReadonlySet<string> = new Set([
  "information_schema",
  "sysobjects",
  "syscolumns",
  "sysdatabases",
  "sysusers",
  "pg_shadow",
  "pg_user",
  "pg_database",
  "pg_tables",
  "sqlite_master",
  "sqlite_schema",
  "sqlite_temp_master",
  "all_tables",
  "all_tab_columns",
  "user_tables",
  "user_tab_columns",
  "dba_users",
  "dba_role_privs",
  "msysobjects",
  "msysaccessobjects",
  "all_users",
  "all_tab_tables",
  "pg_namespace",
  "pg_proc",
  "pg_group",
  "pg_roles",
  "pg_authid",
  "pg_catalog",
  "pg_toast",
  "pg_stat_activity",
  "tempdb",
  "msdb",
  "northwind",
  "sysaux",
  "sysprocesses",
  "syslogins",
  "sysxlogins",
  "sysfiles",
  "msysaccessstorage",
  "msysaccessxml",
  "msysaces",
  "msysmodules",
  "msysmodules2",
  "msysqueries",
  "msysrelationships"
])
