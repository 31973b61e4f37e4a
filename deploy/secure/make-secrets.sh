#!/bin/sh
# One-shot of docker-compose.secure.yml (service secure-init): makes the secure mode's TLS
# material and passwords with openssl, at run time, into the "secure" volume mounted at $OUT.
# Nothing here is ever committed. Idempotent: an existing CA is kept (delete the volume to start
# over: docker compose -f docker-compose.yml -f docker-compose.secure.yml down -v).
#
# Layout (each service mounts only its own directory, as /run/secrets/etcd, read-only):
#   etcd-N/      ca.pem server.pem server-key.pem peer.pem peer-key.pem      (member N, root-owned)
#   <app>/       ca.pem client.pem client-key.pem password [grpc.pem grpc-key.pem] (uid 1000)
#   console/     ca.pem client.pem client-key.pem       (no CN: names no etcd user, no password)
#   access/      ca.pem client.pem client-key.pem (root's) and etcd-<user>-password for every user,
#                the files deploy/access.yaml names under /run/secrets/ (for `epctl access apply`)
# Apps run as uid 1000 (the node user of their images); every key and password is mode 0600.
set -eu
OUT="${OUT:-/secure}"
APP_UID="${APP_UID:-1000}"
USERS="root greeter gateway worker console operator backup viewer"
APPS="greeter gateway worker backup"
umask 077
mkdir -p "$OUT/ca"
cd "$OUT"

if [ ! -f ca/ca.pem ]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout ca/ca-key.pem -out ca/ca.pem -days 365 -subj "/CN=etcd-patterns compose CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi

# leaf DIR STEM SUBJECT EKU [SANS]: a key and a certificate signed by the CA, valid 90 days.
leaf() {
  dir="$1"; stem="$2"; subject="$3"; eku="$4"; sans="${5:-}"
  mkdir -p "$dir"
  [ -f "$dir/$stem.pem" ] && return 0
  ext="$dir/$stem.ext"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' "$eku" > "$ext"
  [ -n "$sans" ] && printf 'subjectAltName=%s\n' "$sans" >> "$ext"
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$dir/$stem-key.pem" -out "$dir/$stem.csr" -subj "$subject"
  openssl x509 -req -in "$dir/$stem.csr" -CA ca/ca.pem -CAkey ca/ca-key.pem -CAcreateserial \
    -days 90 -sha256 -extfile "$ext" -out "$dir/$stem.pem"
  rm -f "$dir/$stem.csr" "$ext"
}

# A random password per etcd user, made once.
mkdir -p access
for user in $USERS; do
  [ -f "access/etcd-$user-password" ] || openssl rand -base64 24 | tr -d '\n' > "access/etcd-$user-password"
done

for n in 1 2 3; do
  leaf "etcd-$n" server "/CN=etcd-$n" "serverAuth,clientAuth" "DNS:etcd-$n,DNS:localhost,IP:127.0.0.1"
  leaf "etcd-$n" peer "/CN=etcd-$n" "serverAuth,clientAuth" "DNS:etcd-$n"
done
leaf access client "/CN=root" clientAuth
for app in $APPS; do
  leaf "$app" client "/CN=$app" clientAuth
  cp "access/etcd-$app-password" "$app/password"
done
leaf console client "/O=etcd-patterns console" clientAuth
# gRPC servers: the SANs name the service, as etcd:///greeter channels check (libs/lb-resolver).
leaf greeter grpc "/CN=greeter" "serverAuth,clientAuth" "DNS:greeter"
leaf worker grpc "/CN=worker" "serverAuth,clientAuth" "DNS:worker"

for dir in etcd-1 etcd-2 etcd-3 access console $APPS; do
  cp ca/ca.pem "$dir/ca.pem"
  chmod 0700 "$dir"
  chmod 0600 "$dir"/*
done
chmod 0644 etcd-*/ca.pem "$OUT"/*/ca.pem
for dir in access console $APPS; do chown -R "$APP_UID:$APP_UID" "$dir"; done
chmod 0700 ca
echo "secure-init: TLS material and passwords are in the secure volume (the passwords are never printed)"
