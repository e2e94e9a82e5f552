/* /bin/true: exits 0. The smallest program, used by the spawn benchmark. */
int main(void)
{
    return 0;
}
