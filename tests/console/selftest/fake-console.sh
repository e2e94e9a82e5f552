# A stand-in for `make run` in the console driver's self-test
# (tests/host/console_selftest.sh): a prompt, each line echoed back as
# "out:LINE", `exit N` exits N, `makefail N` prints make's failed-recipe
# line for status N and exits 2, as make does when QEMU exits N.
printf 'boot\nkeel> '
while IFS= read -r l; do
    case $l in
    exit*) exit ${l#exit } ;;
    makefail*)
        echo "make: *** [Makefile:1: run] Error ${l#makefail }"
        exit 2
        ;;
    *)
        echo "out:$l"
        printf 'keel> '
        ;;
    esac
done
