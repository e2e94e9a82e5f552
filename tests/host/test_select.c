/* Host tests for tests/select.h: the glob patterns of `make utest T=`
 * and `make ktest T=`. */
#include "tests/select.h"
#include "tests/host/harness.h"

TEST(select_glob_literal_and_star)
{
    CHECK(test_glob("cap_dup", "cap_dup"));
    CHECK(!test_glob("cap_dup", "cap_dup2"));
    CHECK(!test_glob("cap_dup2", "cap_dup"));
    CHECK(test_glob("cap_*", "cap_dup"));
    CHECK(test_glob("cap_*", "cap_"));
    CHECK(!test_glob("cap_*", "xcap_dup"));
    CHECK(test_glob("*_smp", "revoke_storm_smp"));
    CHECK(!test_glob("*_smp", "revoke_storm_smp2"));
    CHECK(test_glob("*storm*", "revoke_storm_smp"));
    CHECK(test_glob("a**b", "ab"));
    CHECK(test_glob("*", ""));
    CHECK(!test_glob("", "a"));
    CHECK(test_glob("", ""));
    CHECK(test_glob("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaab"));
    CHECK(!test_glob("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaa"));
}

TEST(select_glob_question_and_sets)
{
    CHECK(test_glob("fd_?", "fd_1"));
    CHECK(!test_glob("fd_?", "fd_"));
    CHECK(!test_glob("fd_?", "fd_12"));
    CHECK(test_glob("t[a-c]x", "tbx"));
    CHECK(!test_glob("t[a-c]x", "tdx"));
    CHECK(test_glob("t[!a-c]x", "tdx"));
    CHECK(!test_glob("t[!a-c]x", "tax"));
    CHECK(test_glob("t[_0-9]", "t_"));
    CHECK(test_glob("t[]]", "t]")); /* ']' first in a set is literal */
    CHECK(test_glob("t[", "t["));   /* no closing bracket: literal */
    CHECK(!test_glob("t[", "tx"));
    CHECK(test_glob("t[a-]", "t-")); /* '-' last in a set is literal */
}

TEST(select_list_of_patterns)
{
    CHECK(test_selected("cap_*,fd_dup", "cap_x"));
    CHECK(test_selected("cap_*,fd_dup", "fd_dup"));
    CHECK(!test_selected("cap_*,fd_dup", "fd_dup2"));
    CHECK(!test_selected("", "x"));
    CHECK(!test_selected(",", "x"));
    CHECK(test_selected("a,,b", "b"));
    CHECK(!test_selected("a,,b", ""));
}
