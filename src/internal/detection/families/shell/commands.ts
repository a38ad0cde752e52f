/**
 * The command words the shell family knows, split by how much a word says on its own.
 *
 * A word in `RARE_COMMANDS` is almost never English, so a separator followed by it is enough; a word
 * in `COMMON_COMMANDS` is also an English word ("cat", "time", "more"), so it counts only when an
 * argument shaped like one follows (an option, a path, a URL, a host).
 *
 * @internal
 */

const words = (text: string): ReadonlySet<string> => new Set(text.split(/\s+/).filter((w) => w !== ""))

/** Commands that are not English words: reconnaissance, downloaders, shells, interpreters' names. */
export const RARE_COMMANDS = words(`
 id whoami uname ifconfig ipconfig netstat nslookup systeminfo tasklist taskkill pwd ls env printenv
 wget curl nc ncat netcat socat telnet bash sh zsh ksh csh tcsh    busybox powershell pwsh
 cmd certutil bitsadmin wmic mshta rundll32 regsvr32 cscript wscript schtasks hostname getent
 lsb_release uptime chmod chown chgrp useradd usermod passwd sudo su crontab nohup strace ltrace
 gdb awk gawk nawk sed xxd base32 base64 uuencode openssl scp sftp rsync ssh tftp lwp-download
 lwp-request  traceroute tracert arp nmap tcpdump iptables ufw killall pkill pgrep ps
 lsof ldd objdump nproc lscpu lspci lsusb lsmod insmod modprobe dmesg journalctl systemctl
 mkfifo mknod      irb     luajit tclsh
  jrunscript jjs  javac gcc cc c89 c99 g++ clang tcc cmake rm rmdir mv cp dd tar 
 unzip gzip gunzip bzip2 bunzip2 xz unxz zcat bzcat xzcat 7z rar unrar grep egrep fgrep rgrep
 xargs ln mkdir chattr lsattr readlink realpath whereis tr uniq
 nl od hexdump unexpand fmt  rev tac
 vi vim nvim emacs nano pico sqlite3 mysql psql mongo redis-cli ftp tnftp nslookup 
 ipconfig net1 nltest dsquery reg regedit sc wevtutil vssadmin icacls cacls takeown attrib
 findstr certreq bcdedit netsh diskpart cipher usleep  ping6 
 cpulimit bcdboot aptitude apt-get yum dnf zstd zstdcat bsdtar iwmi
 ip ss aa-disable aa-enforce aa-complain aa-status aa-exec apparmor_parser setenforce getenforce
 dpkg rpm systemd-run runuser setcap getcap capsh nsenter unshare
 chpasswd passwd visudo sysctl swapon swapoff losetup cryptsetup iptables-save ip6tables nft
 crictl virsh qemu-img busctl loginctl hostnamectl timedatectl
 cmstp msbuild installutil regasm regsvcs msiexec odbcconf forfiles pcalua esentutl expand
 fsutil nbtstat qwinsta quser
 ver getmac driverquery cmdkey klist setx qprocess waitfor
 sysinfo hostinfo sw_vers oslevel prtconf showrev dmidecode lshw inxi
`)

/** Commands that are also ordinary words; they need an argument shaped like a command's. */
export const COMMON_COMMANDS = words(`
  cat echo printf find type dir set time date file test where who last top watch join split
  yes exit start call copy move del erase print open read wait shift source exec eval export
  unset alias trap kill sleep ping more less sort head tail tee cut which locate mount umount
  shutdown reboot halt logout finger write wall mail mailx sendmail nice renice at batch
  sync select local declare history jobs fg bg disown shopt suspend
  cd rd make touch host fetch service route column fold comm paste bridge expand strings net ex ed zip perf flock stat
  wish fish dash ash java node nodejs timeout dig pr python python2 python3 perl ruby php lua
  start-sleep
`)

/** Commands that run the next word as a command: `time sh -c id`, `nohup wget ...`. */
export const PREFIX_COMMANDS = words(`
  time nohup strace ltrace sudo env nice exec command builtin xargs timeout busybox doas stdbuf
  unbuffer chroot setsid ionice taskset
`)

/** Shells and interpreters: piping into one, or calling one with `-c`/`-e`, runs arbitrary code. */
export const INTERPRETERS = words(`
  sh bash zsh ksh csh tcsh dash ash fish busybox powershell pwsh cmd python python2 python3 perl
  ruby irb php node nodejs lua luajit tclsh jrunscript jjs
`)

/** PowerShell cmdlets and aliases that download or run code. */
export const POWERSHELL_WORDS = words(`
  invoke-expression invoke-webrequest invoke-restmethod invoke-command invoke-item invoke-wmimethod
  start-process new-object iex iwr irm iwmi downloadstring downloadfile start-bitstransfer
  set-mppreference add-mppreference get-wmiobject invoke-cimmethod
`)

/** Rare commands an attacker runs and a user writing prose or a pipeline almost never does: after a separator, any argument will do. */
export const ATTACK_COMMANDS = words(`
  whoami uname ifconfig ipconfig netstat nslookup systeminfo tasklist taskkill netsh wget curl nc ncat netcat
  socat telnet powershell pwsh certutil bitsadmin wmic mshta rundll32 regsvr32 cscript wscript schtasks nltest
  dsquery vssadmin icacls bcdedit useradd usermod getent lsb_release printenv reg cmd
  aa-disable aa-complain aa-teardown setenforce nsenter unshare capsh chpasswd runuser setcap
  cmstp msiexec regasm regsvcs installutil msbuild odbcconf forfiles pcalua esentutl fsutil nbtstat
  findstr getmac driverquery cmdkey klist
`)

export const isCommand = (word: string): boolean => RARE_COMMANDS.has(word) || COMMON_COMMANDS.has(word)

/** Every command word, for matching glob-obfuscated names (`/???/c?t`). */
export const ALL_COMMANDS: ReadonlyArray<string> = [...new Set([...RARE_COMMANDS, ...COMMON_COMMANDS])]
