# Shared by bin/jocclum and bin/bench: locate a JDK >= 25 and (re)build jars when sources changed.

jocclum_java_major() { # $1 = path to a java executable; prints its feature version or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

jocclum_find_java() { # prints the path of a java >= 25
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for c in /usr/lib/jvm/*/bin/java /opt/java/*/bin/java /opt/*jdk*/bin/java \
           "$HOME"/.sdkman/candidates/java/*/bin/java "$HOME"/.jdks/*/bin/java \
           /Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java; do
    [ -x "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [ -x "$c" ] || continue
    v="$(jocclum_java_major "$c")"
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$c"; return 0; fi
  done
  echo "jocclum: no Java 25 or newer found (looked at JAVA_HOME, PATH and /usr/lib/jvm); install a JDK >= 25 or set JAVA_HOME to one." >&2
  return 1
}

jocclum_ensure_built() { # $1 = jar to check, $2 = project root; rebuilds when any source is newer
  local jar="$1" root="$2" newer
  if [ -f "$jar" ]; then
    newer="$(find "$root" -path "$root/*/target" -prune -o \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$jar" -print 2>/dev/null | head -n 1)"
    [ -z "$newer" ] && return 0
    echo "jocclum: sources changed since the last build; rebuilding jocclum with Maven (mvn package -DskipTests)." >&2
  else
    echo "jocclum: first run; building jocclum with Maven (mvn package -DskipTests). This takes one to three minutes," >&2
    echo "         and Maven downloads the dependencies into ~/.m2 the first time." >&2
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    echo "jocclum: Maven (mvn) is needed to build jocclum; install Maven 3.8.7 or newer." >&2
    return 1
  fi
  local log; log="$(mktemp)"
  # Maven's own progress, one line per module ("Building jocclum-sgx 0.1.0 [3/7]") and per download;
  # the full log is shown only when the build fails.
  if ! (cd "$root" && mvn -B -DskipTests package 2>&1 | tee "$log" | jocclum_build_progress; exit "${PIPESTATUS[0]}"); then
    cat "$log" >&2; rm -f "$log"
    echo "jocclum: the build failed (output above)." >&2
    return 1
  fi
  rm -f "$log"
  echo "jocclum: build done." >&2
}

jocclum_build_progress() { # reads Maven's output, prints its module and download lines to stderr
  local line
  while IFS= read -r line; do
    case "$line" in
      *"[INFO] Building "*"/"*"]") echo "jocclum:   ${line#*\[INFO\] }" >&2 ;;
      *"Downloading from "*) echo "jocclum:   ${line#*\[INFO\] }" >&2 ;;
    esac
  done
}
