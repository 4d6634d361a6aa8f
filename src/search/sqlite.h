// A thin RAII layer over SQLite's C API for the study store: a connection with WAL and a busy
// timeout, prepared statements, and write transactions that retry while another process holds
// the write lock (BEGIN IMMEDIATE can return SQLITE_BUSY at once in WAL mode: the busy handler
// does not cover every case, so the retry loop here does).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace gradnet::search {

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& path);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  Statement& bind_null(int index);
  Statement& bind(int index, const std::optional<double>& value);
  bool step();  // true: a row is ready; false: done
  void run() { while (step()) {} }

  std::int64_t integer(int column) const;
  double real(int column) const;
  std::optional<double> optional_real(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string path_;
};

class Database {
 public:
  enum class Mode { read_only, read_write, create };
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&& other) noexcept : db_(other.db_), path_(std::move(other.path_)) { other.db_ = nullptr; }

  void exec(const std::string& sql);
  Statement prepare(const std::string& sql) { return Statement(db_, sql, path_); }
  // BEGIN IMMEDIATE (retried while busy), body, COMMIT; ROLLBACK if body throws.
  void write(const std::function<void()>& body);
  // BEGIN (deferred: a consistent snapshot for reads), body, COMMIT.
  void read(const std::function<void()>& body);
  std::int64_t changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  void exec_retrying(const char* sql);
  void transaction(const char* begin, const std::function<void()>& body);  // begin, body, commit (rollback on throw)
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace gradnet::search
