/**
 * Ids of pattern-table rules that were retired: they caused false positives on real traffic, or a
 * rule family now covers what they found (measured with `bench/detection-corpus.ts --rules`). An id
 * here is never used again, so that an exclusion or a dashboard naming it cannot start matching
 * something else.
 *
 * @internal
 */
export const RETIRED_PATTERN_IDS: ReadonlyArray<string> = [
  // false positives on real traffic (csic2010, handwritten, libinjection benign rows)
  "dir_traversal.dotdot_edge",
  "path_traversal.unix_system_file",
  // covered by a rule family: fired on attacks of both corpora, none caught only because of it
  "dir_traversal.dot_filter_bypass",
  "dir_traversal.dotdot_body_path",
  "dir_traversal.dotdot_target",
  "dir_traversal.dotdot_twice",
  "file_inclusion.file_scheme",
  "file_inclusion.log_poison_target",
  "file_inclusion.php_filter",
  "file_inclusion.php_wrapper",
  "http_split.crlf_body",
  "http_split.crlf_edge",
  "http_split.status_line",
  "ldap.close_nul",
  "ldap.objectclass",
  "ldap.wildcard_close",
  "nosql.bracket_operator",
  "nosql.js_return_true",
  "nosql.mongo_shell",
  "nosql.operator_in_value",
  "nosql.operator_key",
  "nosql.sleep_js",
  "nosql.this_property",
  "nosql.where_js",
  "path_traversal.device_namespace",
  "proto_pollution.constructor_prototype",
  "proto_pollution.proto_key",
  "proto_pollution.prototype_key_path",
  "sensitive_file.actuator_sensitive",
  "sensitive_file.backup_of_code",
  "sensitive_file.dotfile",
  "sensitive_file.dump_archive",
  "sensitive_file.spring_actuator",
  "sensitive_file.system_file",
  "ssrf.cloud_metadata",
  "ssrf.internal_host_param",
  "ssrf.numeric_host",
  "xml.cdata_script",
  "xml.doctype_subset",
  "xml.entity_declaration",
  "xml.external_reference",
  "xml.parameter_entity",
  "xml.xinclude",
  "xml.xslt_injection",
]
