/* keel-exec test: the second file of a two-file program. */
int two_lib_add(int a, int b)
{
    return a + b;
}
