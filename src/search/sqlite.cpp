#include "sqlite.h"

#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "gradnet/error.h"

namespace gradnet::search {
namespace {

constexpr int busy_timeout_ms = 10000;
constexpr int busy_retries = 600;  // x 10 s timeout at most, x 50 ms sleeps when BUSY is immediate

[[noreturn]] void sqlite_fail(sqlite3* db, const std::string& path, const std::string& what) {
  fail(ErrorKind::runtime, "{}: {}: {}", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

bool is_busy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

}  // namespace

Statement::Statement(sqlite3* db, const std::string& sql, const std::string& path) : db_(db), path_(path) {
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    sqlite_fail(db, path_, "cannot prepare '" + sql + "'");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::bind(int index, const std::string& value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::bind(int index, const std::optional<double>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

bool Statement::step() {
  for (int attempt = 0;; ++attempt) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      sqlite3_reset(stmt_);
      return false;
    }
    sqlite3_reset(stmt_);
    // Outside an explicit transaction a statement may meet a busy database; inside one (our
    // writes hold the lock from BEGIN IMMEDIATE) it cannot, so retrying here is safe.
    if (!is_busy(rc) || attempt >= busy_retries || !sqlite3_get_autocommit(db_))
      sqlite_fail(db_, path_, "query failed");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }
bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
std::optional<double> Statement::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}
std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, column)) : "";
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
  int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (mode == Mode::create) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;  // one connection per thread
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail(mode == Mode::create ? ErrorKind::runtime : ErrorKind::checkpoint, "{}: cannot open the study store: {}",
         path, message);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  if (mode != Mode::read_only) {
    exec_retrying("PRAGMA journal_mode=WAL");
    exec_retrying("PRAGMA synchronous=NORMAL");
  }
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec_retrying(const char* sql) {
  for (int attempt = 0;; ++attempt) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc == SQLITE_OK) return;
    if (!is_busy(rc) || attempt >= busy_retries) sqlite_fail(db_, path_, std::string("'") + sql + "' failed");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Database::exec(const std::string& sql) { exec_retrying(sql.c_str()); }

void Database::transaction(const char* begin, const std::function<void()>& body) {
  exec_retrying(begin);
  try {
    body();
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  exec_retrying("COMMIT");
}

void Database::write(const std::function<void()>& body) { transaction("BEGIN IMMEDIATE", body); }

void Database::read(const std::function<void()>& body) { transaction("BEGIN", body); }

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

}  // namespace gradnet::search
