/*
 * check_ledger.c -- tests for the consumer's completion and generation
 * accounting (src/ledger.c): in-flight counts, watermarks, and a
 * completion from an older assignment of the same partition.
 */
#include <stdint.h>

#include <check.h>

#include "ledger.h"

START_TEST(test_part_identity)
{
	struct ledger l = { 0 };
	struct partition *a = ledger_part(&l, "t", 0);

	ck_assert_ptr_eq(ledger_part(&l, "t", 0), a);
	ck_assert_ptr_ne(ledger_part(&l, "t", 1), a);
	ck_assert_ptr_ne(ledger_part(&l, "u", 0), a);
	/* Past the one-entry cache. */
	ck_assert_ptr_eq(ledger_part(&l, "t", 0), a);
	ck_assert_uint_eq(l.nparts, 3);
	ck_assert_int_eq(a->assigned, 0);
	ledger_free(&l);
	ck_assert_uint_eq(l.nparts, 0);
}
END_TEST

START_TEST(test_receive_needs_assignment)
{
	struct ledger l = { 0 };
	struct partition *p = ledger_part(&l, "t", 0);

	ck_assert_int_eq(ledger_receive(&l, p, 5), -1);
	ck_assert_int_eq(l.inflight, 0);
	ledger_assign(p);
	ck_assert_int_eq(ledger_receive(&l, p, 5), 0);
	/* Not after the last one received: a duplicate, not counted. */
	ck_assert_int_eq(ledger_receive(&l, p, 5), -1);
	ck_assert_int_eq(l.inflight, 1);
	ck_assert_int_eq(p->inflight, 1);
	ledger_free(&l);
}
END_TEST

START_TEST(test_contiguous_watermark)
{
	struct ledger l = { 0 };
	struct partition *p = ledger_part(&l, "t", 3);

	ledger_assign(p);
	for (int64_t o = 10; o < 13; o++)
		ck_assert_int_eq(ledger_receive(&l, p, o), 0);
	ck_assert_int_eq(ledger_take_store(p), -1);
	/* 11 before 10: nothing to store yet. */
	ck_assert_int_eq(ledger_complete(&l, p, p->gen, 11, 1), 0);
	ck_assert_int_eq(ledger_take_store(p), -1);
	ck_assert_int_eq(ledger_complete(&l, p, p->gen, 10, 1), 1);
	ck_assert_int_eq(ledger_take_store(p), 12);
	/* Taken: not stored twice. */
	ck_assert_int_eq(ledger_take_store(p), -1);
	ck_assert_int_eq(l.inflight, 1);
	ck_assert_int_eq(p->inflight, 1);
	ledger_free(&l);
}
END_TEST

START_TEST(test_unfinished_holds_the_watermark)
{
	struct ledger l = { 0 };
	struct partition *p = ledger_part(&l, "t", 0);

	ledger_assign(p);
	ledger_receive(&l, p, 0);
	ledger_receive(&l, p, 1);
	ck_assert_int_eq(ledger_complete(&l, p, p->gen, 0, 0), 0);
	ck_assert_int_eq(ledger_complete(&l, p, p->gen, 1, 1), 0);
	ck_assert_int_eq(ledger_take_store(p), -1);
	ck_assert_uint_eq(l.unfinished, 1);
	ck_assert_int_eq(l.inflight, 0);
	ledger_free(&l);
}
END_TEST

/*
 * Revoked while an event ran, assigned again, and the old event finishes
 * after the new generation received the same offset again: the old
 * completion must not mark it done.
 */
START_TEST(test_old_generation_ignored)
{
	struct ledger l = { 0 };
	struct partition *p = ledger_part(&l, "t", 0);
	uint32_t old;

	ledger_assign(p);
	old = p->gen;
	ledger_receive(&l, p, 7);
	ledger_unassign(p);
	ck_assert_int_eq(ledger_receive(&l, p, 8), -1);
	ledger_assign(p);
	ck_assert_uint_ne(p->gen, old);
	ck_assert_int_eq(ledger_receive(&l, p, 7), 0);
	ck_assert_int_eq(l.inflight, 2);
	ck_assert_int_eq(ledger_complete(&l, p, old, 7, 1), 0);
	ck_assert_int_eq(ledger_take_store(p), -1);
	ck_assert_int_eq(l.inflight, 1);
	ck_assert_int_eq(ledger_complete(&l, p, p->gen, 7, 1), 1);
	ck_assert_int_eq(ledger_take_store(p), 8);
	ledger_free(&l);
}
END_TEST

/* Completed after the revoke, before any new assignment: never stored. */
START_TEST(test_unassigned_not_stored)
{
	struct ledger l = { 0 };
	struct partition *p = ledger_part(&l, "t", 0);

	ledger_assign(p);
	ledger_receive(&l, p, 0);
	ledger_unassign(p);
	ck_assert_int_eq(ledger_complete(&l, p, p->gen, 0, 1), 0);
	ck_assert_int_eq(ledger_take_store(p), -1);
	ck_assert_int_eq(l.inflight, 0);
	ck_assert_int_eq(p->inflight, 0);
	ledger_free(&l);
}
END_TEST

Suite *
suite_ledger(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_part_identity);
	tcase_add_test(tc, test_receive_needs_assignment);
	tcase_add_test(tc, test_contiguous_watermark);
	tcase_add_test(tc, test_unfinished_holds_the_watermark);
	tcase_add_test(tc, test_old_generation_ignored);
	tcase_add_test(tc, test_unassigned_not_stored);
	suite_add_tcase(s, tc);
	return s;
}
