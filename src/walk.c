/*-------------------------------------------------------------------------
 *
 * walk.c
 *	  list's walk of the users: an index scan whose heap rows are brought
 *	  into the CPU's cache a few rows ahead of the one being read.
 *
 * list walks the listed-users index in name order, and the users rows lie on
 * the heap in no such order: each row it reads is on a page of its own, found
 * through the buffer table, its descriptor pinned, its header, line pointer
 * and tuple read, each a cache miss once the table outgrows the CPU's cache,
 * each a wait the CPU cannot overlap with the next since the next row is not
 * known to it.  It is known to the index: nbtree keeps the heap TIDs of every
 * match on the current leaf page in its scan position.  So, after the index
 * returns the row at position cur, the walk
 *	  - looks up the buffers of the rows up to WALK_FAR positions ahead
 *	    (PrefetchBuffer: the buffer table only, no pin; or the kernel asked to
 *	    read the block when it is not in shared buffers) and prefetches their
 *	    descriptor, page header and first line pointers, and the row's own
 *	    line pointer;
 *	  - up to WALK_NEAR positions ahead, where those have arrived, reads the
 *	    line pointer, and the one it redirects to when the row was updated
 *	    in place (HOT) and pruned since its index entry was made (the usual
 *	    case: every login, touch and revoke updates its user's row), and
 *	    prefetches the tuple it points to;
 *	  - fetches the row at cur as heapam's index fetch does
 *	    (heapam_index_fetch_tuple and index_fetch_heap), but pins its buffer
 *	    with the buffer looked up ahead (ReadRecentBuffer), so each page is
 *	    searched for in the buffer table once, as it would have been anyway.
 * Measured at 1M sessions: 15-25 % off a keyset page of list, 20-30 % off
 * long walks; a page whose rows are all in the CPU's cache already pays
 * ~5 % for the look-ahead (bench/analysis.md).
 *
 * Everything looked at ahead is a hint, never trusted: a buffer looked up may
 * hold another page by the time the row is fetched, which ReadRecentBuffer
 * checks (falling back to ReadBuffer); the line pointer read ahead is read
 * from a page that is not pinned, and only decides what to prefetch (a
 * prefetch never faults and the address stays inside the buffer pool).
 * Builds for valgrind skip that read, since they mark unpinned pages
 * inaccessible.
 *
 * The walk reads nbtree's scan position (access/nbtree.h), and checks at
 * every row that the position's TID is the one the index returned; it
 * fetches rows itself only from a heap table with an MVCC snapshot.
 * Otherwise it is a plain index_getnext_slot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/pg_am_d.h"
#include "pgstat.h"
#include "storage/buf_internals.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "authsessions.h"

#define WALK_FAR	8			/* positions ahead: buffer, header, line
								 * pointer */
#define WALK_NEAR	4			/* positions ahead: tuple */
#define WALK_LINE	64			/* bytes in a cache line */
#define WALK_TUPLE	3			/* cache lines of a users row's first columns */
#define WALK_PAGE_HEAD	3		/* cache lines of a page's header and first
								 * line pointers */

StaticAssertDecl(WALK_NEAR < WALK_FAR && WALK_FAR < WALK_RING,
				 "the ring holds every position from the current one to WALK_FAR");

/*
 * Start a walk of index (over heap) in forward order, from the keys given,
 * with snapshot.
 */
void
walk_begin(UserWalk *w, Relation heap, Relation index, Snapshot snapshot,
		   ScanKey keys, int nkeys)
{
	w->scan = index_beginscan(heap, index, snapshot, nkeys, 0);
	index_rescan(w->scan, keys, nkeys, NULL, 0);
	w->look = true;
	w->own_fetch =
		heap->rd_tableam == GetHeapamTableAmRoutine() &&
		!RelationUsesLocalBuffers(heap) &&
		index->rd_rel->relam == BTREE_AM_OID &&
		IsMVCCSnapshot(snapshot);
	w->cbuf = InvalidBuffer;
	w->leaf = InvalidBlockNumber;
	w->near = 0;
	w->far = 0;
	w->last_block = InvalidBlockNumber;
	w->last_found = InvalidBuffer;
}

/*
 * Look ahead of the index's current position (see the file's comment) and
 * return the buffer looked up for the current row, InvalidBuffer if none
 * was.  Stops looking ahead for good if the position does not hold tid.
 */
static Buffer
look_ahead(UserWalk *w, ItemPointer tid)
{
	Relation	heap = w->scan->heapRelation;
	BTScanOpaque so = (BTScanOpaque) w->scan->opaque;
	int			cur;
	int			last;

	if (!w->look || !BTScanPosIsValid(so->currPos))
		return InvalidBuffer;
	cur = so->currPos.itemIndex;
	last = so->currPos.lastItem;
	if (cur < so->currPos.firstItem || cur > last ||
		!ItemPointerEquals(&so->currPos.items[cur].heapTid, tid))
	{
		/* not the position this was written for: fetch without it */
		w->look = false;
		return InvalidBuffer;
	}

	/* a new leaf page: positions start again */
	if (so->currPos.currPage != w->leaf)
	{
		w->leaf = so->currPos.currPage;
		w->far = w->near = cur;
		w->last_block = InvalidBlockNumber;
	}
	w->far = Max(w->far, cur);
	w->near = Max(w->near, cur + 1);

	for (; w->far <= last && w->far <= cur + WALK_FAR; w->far++)
	{
		ItemPointer next = &so->currPos.items[w->far].heapTid;
		BlockNumber block = ItemPointerGetBlockNumber(next);

		if (block != w->last_block)
		{
			w->last_block = block;
			w->last_found = PrefetchBuffer(heap, MAIN_FORKNUM,
										   block).recent_buffer;
			if (BufferIsValid(w->last_found))
			{
				const char *page = BufferGetBlock(w->last_found);
				int			i;

				__builtin_prefetch(GetBufferDescriptor(w->last_found - 1));
				for (i = 0; i < WALK_PAGE_HEAD; i++)
					__builtin_prefetch(page + i * WALK_LINE);
			}
		}
		if (BufferIsValid(w->last_found))
			__builtin_prefetch((char *) BufferGetBlock(w->last_found) +
							   SizeOfPageHeaderData +
							   (ItemPointerGetOffsetNumber(next) - 1) *
							   sizeof(ItemIdData));
		w->found[w->far % WALK_RING] = w->last_found;
	}

#ifndef USE_VALGRIND
	for (; w->near < w->far && w->near <= cur + WALK_NEAR; w->near++)
	{
		Buffer		buf = w->found[w->near % WALK_RING];
		OffsetNumber off;
		ItemIdData	lp;

		if (!BufferIsValid(buf))
			continue;
		off = ItemPointerGetOffsetNumber(&so->currPos.items[w->near].heapTid);
		if (off < FirstOffsetNumber || off > MaxHeapTuplesPerPage)
			continue;
		/* unpinned: a hint, whatever it finds (see the file's comment) */
		memcpy(&lp, (char *) BufferGetBlock(buf) + SizeOfPageHeaderData +
			   (off - 1) * sizeof(ItemIdData), sizeof(ItemIdData));
		/* a redirect's lp_off is the offset of the chain's next member */
		if (lp.lp_flags == LP_REDIRECT &&
			lp.lp_off >= FirstOffsetNumber && lp.lp_off <= MaxHeapTuplesPerPage)
			memcpy(&lp, (char *) BufferGetBlock(buf) + SizeOfPageHeaderData +
				   (lp.lp_off - 1) * sizeof(ItemIdData), sizeof(ItemIdData));
		if (lp.lp_flags == LP_NORMAL &&
			lp.lp_off <= BLCKSZ - WALK_TUPLE * WALK_LINE)
		{
			const char *tuple = (char *) BufferGetBlock(buf) + lp.lp_off;
			int			i;

			for (i = 0; i < WALK_TUPLE; i++)
				__builtin_prefetch(tuple + i * WALK_LINE);
		}
	}
#endif

	return w->found[cur % WALK_RING];
}

/*
 * Fetch the row of tid (the index's current entry) into slot, as
 * heapam_index_fetch_tuple and index_fetch_heap do with an MVCC snapshot,
 * pinning its buffer through recent when that is still the row's page.
 * Returns false when no version of the row is visible.
 */
static bool
fetch_row(UserWalk *w, ItemPointer tid, Buffer recent, TupleTableSlot *slot)
{
	Relation	heap = w->scan->heapRelation;
	BufferHeapTupleTableSlot *bslot = (BufferHeapTupleTableSlot *) slot;
	BlockNumber block = ItemPointerGetBlockNumber(tid);
	bool		all_dead = false;
	bool		found;

	Assert(TTS_IS_BUFFERTUPLE(slot));
	if (!BufferIsValid(w->cbuf) || BufferGetBlockNumber(w->cbuf) != block)
	{
		if (BufferIsValid(w->cbuf))
			ReleaseBuffer(w->cbuf);
		if (BufferIsValid(recent) &&
			ReadRecentBuffer(heap->rd_node, MAIN_FORKNUM, block, recent))
			w->cbuf = recent;
		else
			w->cbuf = ReadBuffer(heap, block);
		heap_page_prune_opt(heap, w->cbuf);
	}

	LockBuffer(w->cbuf, BUFFER_LOCK_SHARE);
	found = heap_hot_search_buffer(tid, heap, w->cbuf, w->scan->xs_snapshot,
								   &bslot->base.tupdata, &all_dead, true);
	bslot->base.tupdata.t_self = *tid;
	LockBuffer(w->cbuf, BUFFER_LOCK_UNLOCK);

	if (found)
	{
		slot->tts_tableOid = RelationGetRelid(heap);
		ExecStoreBufferHeapTuple(&bslot->base.tupdata, slot, w->cbuf);
		pgstat_count_heap_fetch(w->scan->indexRelation);
		return true;
	}

	/* only dead versions: let the index mark its entry (index_fetch_heap) */
	if (!w->scan->xactStartedInRecovery)
		w->scan->kill_prior_tuple = all_dead;
	return false;
}

/* The walk's next visible row, in slot; false at the end. */
bool
walk_next(UserWalk *w, TupleTableSlot *slot)
{
	if (!w->own_fetch)
		return index_getnext_slot(w->scan, ForwardScanDirection, slot);

	for (;;)
	{
		ItemPointer tid = index_getnext_tid(w->scan, ForwardScanDirection);

		if (tid == NULL)
			return false;
		if (fetch_row(w, tid, look_ahead(w, tid), slot))
			return true;
	}
}

/* End the walk: release its pin and end the index scan. */
void
walk_end(UserWalk *w)
{
	if (BufferIsValid(w->cbuf))
		ReleaseBuffer(w->cbuf);
	w->cbuf = InvalidBuffer;
	index_endscan(w->scan);
}
