A=1
OPTS="--atomic --wait"
helm upgrade --install r ./chart --set a=$A $OPTS "$@" --timeout ${T:-5m}
cat <<EOF | psql
DROP TABLE x;
EOF
