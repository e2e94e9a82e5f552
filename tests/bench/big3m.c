/*
 * /bin/big3m, in make bench's image only: a program with 3 MiB of
 * initialised data, the load of wake_latency_spawn_3m (spawn loads and
 * copies all of it). Exits 0.
 */
#define BIG3M_BYTES (3u * 1024u * 1024u)

/* Not all zero, so it lands in .data (in the file), not .bss. */
static volatile unsigned char big3m[BIG3M_BYTES] = {1};

int main(void)
{
    return big3m[0] - 1 + big3m[BIG3M_BYTES - 1];
}
