// SPDX-License-Identifier: Apache-2.0
#include "netd/core/store.h"

#include <sqlite3.h>
#include <time.h>

struct store {
	sqlite3 *db;
	bool in_tx;
};

/* Schema migrations: entry i takes the database from user_version i to i+1.
 * Never edit a released entry; append a new one. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE objects(kind TEXT NOT NULL, id TEXT NOT NULL, name TEXT, parent TEXT,"
	"  owner TEXT, created INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY(kind, id));"
	"CREATE UNIQUE INDEX objects_name ON objects(kind, name) WHERE name IS NOT NULL;"
	"CREATE INDEX objects_parent ON objects(kind, parent) WHERE parent IS NOT NULL;"
	"CREATE INDEX objects_owner ON objects(kind, owner) WHERE owner IS NOT NULL;"
	"CREATE TABLE addresses(pool TEXT NOT NULL, addr TEXT NOT NULL, owner TEXT NOT NULL,"
	"  PRIMARY KEY(pool, addr));"
	"CREATE INDEX addresses_owner ON addresses(owner);",
};

static int db_err(struct store *st, struct nd_error *err, int rc, const char *what)
{
	int code = rc == SQLITE_CONSTRAINT ? -EEXIST : rc == SQLITE_BUSY ? -EBUSY :
		   rc == SQLITE_FULL ? -ENOSPC : rc == SQLITE_READONLY ? -EROFS : -EIO;
	return nd_error_set(err, code, "store: %s: %s", what, sqlite3_errmsg(st->db));
}

static int exec_sql(struct store *st, const char *sql, struct nd_error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int r = nd_error_set(err, -EIO, "store: %s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

static int pragma_int(struct store *st, const char *sql, int *out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_schema_version(struct store *st)
{
	int v = -1;
	pragma_int(st, "PRAGMA user_version", &v);
	return v;
}

static int migrate(struct store *st, struct nd_error *err)
{
	int v = store_schema_version(st);
	int latest = (int)ARRAY_SIZE(migrations);
	if (v < 0)
		return nd_error_set(err, -EIO, "store: cannot read schema version");
	if (v > latest)
		return nd_error_set(err, -EPROTO,
				    "store schema version %d is newer than this netd understands (%d); "
				    "refusing to touch it", v, latest);
	for (; v < latest; v++) {
		int rc = store_tx_begin(st, err);
		if (rc < 0)
			return rc;
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version=%d", v + 1);
		if ((rc = exec_sql(st, migrations[v], err)) < 0 || (rc = exec_sql(st, bump, err)) < 0) {
			store_tx_rollback(st);
			return nd_error_wrap(err, "migrating store schema %d -> %d", v, v + 1);
		}
		if ((rc = store_tx_commit(st, err)) < 0)
			return rc;
		log_info("store migrated schema=%d", v + 1);
	}
	return 0;
}

int store_open(const char *path, struct store **out, struct nd_error *err)
{
	struct store *st = calloc(1, sizeof(*st));
	if (!st)
		return nd_error_set(err, -ENOMEM, "out of memory");
	int rc = sqlite3_open_v2(path, &st->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		nd_error_set(err, -EIO, "store: open %s: %s", path,
			     st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		store_close(st);
		return err->code;
	}
	sqlite3_busy_timeout(st->db, 5000);
	/* WAL + NORMAL: a committed transaction survives the process being
	 * killed at any instruction; only a power loss may drop the last ones. */
	if ((rc = exec_sql(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			       "PRAGMA foreign_keys=ON;", err)) < 0 ||
	    (rc = migrate(st, err)) < 0) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_close_v2(st->db);
	free(st);
}

int store_tx_begin(struct store *st, struct nd_error *err)
{
	if (st->in_tx)
		return nd_error_set(err, -EBUSY, "store: transaction already open");
	int rc = exec_sql(st, "BEGIN IMMEDIATE", err);
	if (rc == 0)
		st->in_tx = true;
	return rc;
}

int store_tx_commit(struct store *st, struct nd_error *err)
{
	int rc = exec_sql(st, "COMMIT", err);
	if (rc < 0) {
		store_tx_rollback(st);
		return rc;
	}
	st->in_tx = false;
	return 0;
}

void store_tx_rollback(struct store *st)
{
	if (!st->in_tx)
		return;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = false;
}

/* ---- statements ------------------------------------------------------------ */

static void finalizep(sqlite3_stmt **s) { sqlite3_finalize(*s); }
#define _cleanup_stmt_ _cleanup_(finalizep)

static int prep(struct store *st, const char *sql, sqlite3_stmt **s, struct nd_error *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
	return rc == SQLITE_OK ? 0 : db_err(st, err, rc, "prepare");
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

int store_obj_put(struct store *st, const struct store_obj_ref *ref, const json_t *data,
		  struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st,
		      "INSERT INTO objects(kind, id, name, parent, owner, created, data) "
		      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		      "ON CONFLICT(kind, id) DO UPDATE SET name=?3, parent=?4, owner=?5, data=?7",
		      &s, err);
	if (rc < 0)
		return rc;
	_cleanup_free_ char *text = nd_json_dump(data);
	if (!text)
		return nd_error_set(err, -ENOMEM, "store: encoding %s %s", ref->kind, ref->id);
	bind_text(s, 1, ref->kind);
	bind_text(s, 2, ref->id);
	bind_text(s, 3, ref->name);
	bind_text(s, 4, ref->parent);
	bind_text(s, 5, ref->owner);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)time(NULL));
	bind_text(s, 7, text);
	rc = sqlite3_step(s);
	if (rc == SQLITE_CONSTRAINT)
		return nd_error_set(err, -EEXIST, "%s name \"%s\" is already in use", ref->kind,
				    ref->name ? ref->name : "");
	if (rc != SQLITE_DONE)
		return db_err(st, err, rc, "write object");
	return 0;
}

static int row_json(sqlite3_stmt *s, int col, json_t **data, struct nd_error *err)
{
	const char *text = (const char *)sqlite3_column_text(s, col);
	json_t *j = nd_json_parse(text ? text : "null", text ? (size_t)sqlite3_column_bytes(s, col) : 4, err);
	if (!j) {
		/* nd_error_wrap() never returns >= 0, but say so here: callers
		 * read *data on a 0 return */
		int r = nd_error_wrap(err, "store: corrupt object");
		return r < 0 ? r : -EIO;
	}
	*data = j;
	return 0;
}

int store_obj_get(struct store *st, const char *kind, const char *id, json_t **data, struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st, "SELECT data FROM objects WHERE kind=?1 AND id=?2", &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, kind);
	bind_text(s, 2, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return nd_error_set(err, -ENOENT, "no such %s: %s", kind, id);
	if (rc != SQLITE_ROW)
		return db_err(st, err, rc, "read object");
	return data ? row_json(s, 0, data, err) : 0;
}

int store_obj_lookup(struct store *st, const char *kind, const char *ref, char id[ND_ID_LEN + 1],
		     json_t **data, struct nd_error *err)
{
	if (!ref || !ref[0])
		return nd_error_set(err, -EINVAL, "empty %s reference", kind);
	/* exact id, then exact name, then a unique id prefix: Docker's order */
	static const char *const queries[] = {
		"SELECT id, data FROM objects WHERE kind=?1 AND id=?2",
		"SELECT id, data FROM objects WHERE kind=?1 AND name=?2",
		"SELECT id, data FROM objects WHERE kind=?1 AND id >= ?2 AND id < ?2 || 'g' LIMIT 2",
	};
	for (size_t q = 0; q < ARRAY_SIZE(queries); q++) {
		if (q == 2 && !nd_id_prefix_valid(ref))
			break;
		_cleanup_stmt_ sqlite3_stmt *s = NULL;
		int rc = prep(st, queries[q], &s, err);
		if (rc < 0)
			return rc;
		bind_text(s, 1, kind);
		bind_text(s, 2, ref);
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			continue;
		if (rc != SQLITE_ROW)
			return db_err(st, err, rc, "lookup");
		if (id)
			snprintf(id, ND_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 0));
		if (data && (rc = row_json(s, 1, data, err)) < 0)
			return rc;
		if (q == 2 && sqlite3_step(s) == SQLITE_ROW) {
			if (data) {
				json_decref(*data);
				*data = NULL;
			}
			return nd_error_set(err, -EINVAL, "%s ID prefix \"%s\" is ambiguous", kind, ref);
		}
		return 0;
	}
	return nd_error_set(err, -ENOENT, "no such %s: %s", kind, ref);
}

int store_obj_del(struct store *st, const char *kind, const char *id, struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st, "DELETE FROM objects WHERE kind=?1 AND id=?2", &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, kind);
	bind_text(s, 2, id);
	rc = sqlite3_step(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, rc, "delete object");
}

int store_obj_list(struct store *st, const char *kind, const char *parent, const char *owner,
		   json_t **out, struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st,
		      "SELECT data FROM objects WHERE kind=?1 AND (?2 IS NULL OR parent=?2) "
		      "AND (?3 IS NULL OR owner=?3) ORDER BY created, rowid",
		      &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, kind);
	bind_text(s, 2, parent);
	bind_text(s, 3, owner);
	_cleanup_json_ json_t *arr = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *j;
		if ((rc = row_json(s, 0, &j, err)) < 0)
			return rc;
		json_array_append_new(arr, j);
	}
	if (rc != SQLITE_DONE)
		return db_err(st, err, rc, "list objects");
	*out = TAKE_PTR(arr);
	return 0;
}

int store_obj_count(struct store *st, const char *kind, int64_t *count, struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st, "SELECT count(*) FROM objects WHERE kind=?1", &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, kind);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW)
		return db_err(st, err, rc, "count objects");
	*count = sqlite3_column_int64(s, 0);
	return 0;
}

int store_meta_get(struct store *st, const char *key, char **value, struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st, "SELECT value FROM meta WHERE key=?1", &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return nd_error_set(err, -ENOENT, "no setting %s", key);
	if (rc != SQLITE_ROW)
		return db_err(st, err, rc, "read setting");
	*value = strdup((const char *)sqlite3_column_text(s, 0));
	return *value ? 0 : nd_error_set(err, -ENOMEM, "out of memory");
}

int store_meta_set(struct store *st, const char *key, const char *value, struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, key);
	bind_text(s, 2, value);
	rc = sqlite3_step(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, rc, "write setting");
}

int store_addr_claim(struct store *st, const char *pool, const char *addr, const char *owner,
		     struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st, "INSERT INTO addresses(pool, addr, owner) VALUES(?1, ?2, ?3)", &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, pool);
	bind_text(s, 2, addr);
	bind_text(s, 3, owner);
	rc = sqlite3_step(s);
	if (rc == SQLITE_CONSTRAINT)
		return nd_error_set(err, -EADDRINUSE, "address %s is already allocated", addr);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, rc, "claim address");
}

int store_addr_release(struct store *st, const char *pool, const char *addr, struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st, "DELETE FROM addresses WHERE pool=?1 AND addr=?2", &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, pool);
	bind_text(s, 2, addr);
	rc = sqlite3_step(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, rc, "release address");
}

int store_addr_release_owner(struct store *st, const char *owner, struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st, "DELETE FROM addresses WHERE owner=?1", &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, owner);
	rc = sqlite3_step(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, rc, "release addresses");
}

int store_addr_foreach(struct store *st, const char *pool, store_addr_fn fn, void *data,
		       struct nd_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc = prep(st, "SELECT pool, addr, owner FROM addresses WHERE ?1 IS NULL OR pool=?1", &s, err);
	if (rc < 0)
		return rc;
	bind_text(s, 1, pool);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r = fn((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
			   (const char *)sqlite3_column_text(s, 2), data);
		if (r < 0)
			return nd_error_set(err, r, "store: address walk stopped: %s", strerror(-r));
	}
	return rc == SQLITE_DONE ? 0 : db_err(st, err, rc, "list addresses");
}
