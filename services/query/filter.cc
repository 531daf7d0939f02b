#include "services/query/filter.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "services/records/field_rules.h"
#include "storage/keys.h"

namespace hirs::query {

struct Filter::Node {
  enum Kind { kAnd, kOr, kNot, kCompare } kind = kCompare;
  std::vector<std::shared_ptr<const Node>> children;  // kAnd, kOr: two or more; kNot: one
  // kCompare:
  FilterField field = FilterField::kDistrictCode;
  FilterOp op = FilterOp::kEq;
  std::string text;   // district code, crime reference
  int number = 0;     // enum value
  bool flag = false;  // repeat_victim
  absl::Time time;    // occurred_start, first_received_at
};

namespace {

using Node = Filter::Node;
using NodePtr = std::shared_ptr<const Node>;

struct FieldInfo {
  const char* name;
  FilterField field;
  std::vector<FilterOp> ops;
};

// The fields of each subject, built once.
struct FieldTables {
  std::vector<FieldInfo> cases;
  std::vector<FieldInfo> reports;
};

const FieldTables& Tables() {
  static const FieldTables* const tables = [] {
    const std::vector<FilterOp> equality = {FilterOp::kEq, FilterOp::kNe};
    const std::vector<FilterOp> holds = {FilterOp::kEq, FilterOp::kNe, FilterOp::kHas};
    const std::vector<FilterOp> ordered = {FilterOp::kEq, FilterOp::kNe, FilterOp::kLt,
                                           FilterOp::kLe, FilterOp::kGt, FilterOp::kGe};
    const FieldInfo status{"status", FilterField::kStatus, equality};
    const FieldInfo motivation{"motivation", FilterField::kMotivation, holds};
    const FieldInfo incident_type{"incident_type", FilterField::kIncidentType, holds};
    return new FieldTables{
        {
            {"district_code", FilterField::kDistrictCode, equality},
            status,
            motivation,
            incident_type,
            {"occurred_start", FilterField::kOccurredStart, ordered},
            {"first_received_at", FilterField::kFirstReceivedAt, ordered},
            {"repeat_victim", FilterField::kRepeatVictim, equality},
            {"crime_reference", FilterField::kCrimeReference, equality},
        },
        {
            {"received_at", FilterField::kReceivedAt, ordered},
            motivation,
            incident_type,
            status,
            {"case_status", FilterField::kStatus, equality},
        },
    };
  }();
  return *tables;
}

const std::vector<FieldInfo>& Fields(FilterSubject subject) {
  return subject == FilterSubject::kCases ? Tables().cases : Tables().reports;
}

std::string FieldNames(FilterSubject subject) {
  std::vector<std::string> names;
  for (const auto& f : Fields(subject)) names.push_back(f.name);
  return absl::StrJoin(names, ", ");
}

const char* OpText(FilterOp op) {
  switch (op) {
    case FilterOp::kEq:
      return "=";
    case FilterOp::kNe:
      return "!=";
    case FilterOp::kLt:
      return "<";
    case FilterOp::kLe:
      return "<=";
    case FilterOp::kGt:
      return ">";
    case FilterOp::kGe:
      return ">=";
    case FilterOp::kHas:
      return ":";
  }
  return "?";
}

struct Token {
  enum Kind { kEnd, kWord, kString, kOp, kOpen, kClose, kMinus } kind = kEnd;
  std::string text;
  size_t position = 0;  // 1-based
};

class Parser {
 public:
  Parser(absl::string_view text, FilterSubject subject) : text_(text), subject_(subject) {}

  absl::StatusOr<NodePtr> Run() {
    Tokenize();
    if (!error_.empty()) return Error();
    if (Peek().kind == Token::kEnd) return NodePtr();
    NodePtr root = Expression(0);
    if (root != nullptr && Peek().kind != Token::kEnd) {
      Fail(Peek(), Peek().kind == Token::kClose ? "')' without a matching '('"
                                                : absl::StrCat("unexpected \"", Peek().text, "\""));
    }
    if (!error_.empty()) return Error();
    return root;
  }

 private:
  static constexpr int kMaxDepth = 32;

  absl::Status Error() const { return InvalidArgumentWithViolations({{"filter", error_}}); }

  void Fail(size_t position, const std::string& what) {
    if (error_.empty()) error_ = absl::StrCat("at position ", position, ": ", what);
  }
  void Fail(const Token& t, const std::string& what) { Fail(t.position, what); }

  void Tokenize() {
    size_t i = 0;
    while (i < text_.size() && error_.empty()) {
      const char c = text_[i];
      const size_t pos = i + 1;
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '(' || c == ')') {
        tokens_.push_back({c == '(' ? Token::kOpen : Token::kClose, std::string(1, c), pos});
        ++i;
      } else if (c == '"' || c == '\'') {
        std::string value;
        size_t j = i + 1;
        for (; j < text_.size() && text_[j] != c; ++j) {
          if (text_[j] == '\\' && j + 1 < text_.size()) ++j;
          value.push_back(text_[j]);
        }
        if (j >= text_.size()) return Fail(pos, "the quoted value is not closed");
        tokens_.push_back({Token::kString, std::move(value), pos});
        i = j + 1;
      } else if (c == '=' || c == '<' || c == '>' || c == '!' || c == ':') {
        std::string op(1, c);
        if (i + 1 < text_.size() && text_[i + 1] == '=' && c != '=' && c != ':') op.push_back('=');
        if (op == "!") return Fail(pos, "'!' must be followed by '=' (use NOT to negate)");
        tokens_.push_back({Token::kOp, op, pos});
        i += op.size();
      } else if (c == '-' && (tokens_.empty() || tokens_.back().kind != Token::kOp)) {
        tokens_.push_back({Token::kMinus, "-", pos});
        ++i;
      } else {
        // A bare word ends at a space, a parenthesis, a quote or an operator;
        // one that starts with a digit may hold ':' (an unquoted time).
        const bool number = absl::ascii_isdigit(static_cast<unsigned char>(c));
        size_t j = i;
        while (j < text_.size() && !absl::ascii_isspace(static_cast<unsigned char>(text_[j])) &&
               std::string_view(number ? "()=<>!\"'" : "()=<>!:\"'").find(text_[j]) == std::string_view::npos) {
          ++j;
        }
        tokens_.push_back({Token::kWord, std::string(text_.substr(i, j - i)), pos});
        i = j;
      }
    }
    tokens_.push_back({Token::kEnd, "", text_.size() + 1});
  }

  const Token& Peek() const { return tokens_[next_]; }
  const Token& Take() { return tokens_[next_ < tokens_.size() - 1 ? next_++ : next_]; }
  bool IsKeyword(const Token& t, absl::string_view word) const { return t.kind == Token::kWord && t.text == word; }

  static NodePtr Combine(Node::Kind kind, std::vector<NodePtr> parts) {
    if (parts.size() == 1) return parts[0];
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->children = std::move(parts);
    return n;
  }

  // expression := term { ["AND"] term }
  NodePtr Expression(int depth) {
    std::vector<NodePtr> terms;
    while (error_.empty()) {
      NodePtr t = Term(depth);
      if (t == nullptr) return nullptr;
      terms.push_back(std::move(t));
      if (IsKeyword(Peek(), "AND")) {
        Take();
        continue;
      }
      const Token& p = Peek();
      if (p.kind == Token::kEnd || p.kind == Token::kClose) break;  // juxtaposition continues below
    }
    return error_.empty() ? Combine(Node::kAnd, std::move(terms)) : nullptr;
  }

  // term := factor { "OR" factor }
  NodePtr Term(int depth) {
    std::vector<NodePtr> factors;
    NodePtr f = Factor(depth);
    if (f == nullptr) return nullptr;
    factors.push_back(std::move(f));
    while (IsKeyword(Peek(), "OR")) {
      Take();
      f = Factor(depth);
      if (f == nullptr) return nullptr;
      factors.push_back(std::move(f));
    }
    return Combine(Node::kOr, std::move(factors));
  }

  // factor := ["NOT" | "-"] ( "(" expression ")" | comparison )
  NodePtr Factor(int depth) {
    if (depth > kMaxDepth) {
      Fail(Peek(), absl::StrCat("the filter nests more than ", kMaxDepth, " levels deep"));
      return nullptr;
    }
    if (IsKeyword(Peek(), "NOT") || Peek().kind == Token::kMinus) {
      Take();
      NodePtr inner = Factor(depth + 1);
      if (inner == nullptr) return nullptr;
      auto n = std::make_shared<Node>();
      n->kind = Node::kNot;
      n->children.push_back(std::move(inner));
      return n;
    }
    if (Peek().kind == Token::kOpen) {
      const Token open = Take();
      if (Peek().kind == Token::kClose) {
        Fail(Peek(), "empty parentheses");
        return nullptr;
      }
      NodePtr inner = Expression(depth + 1);
      if (inner == nullptr) return nullptr;
      if (Peek().kind != Token::kClose) {
        Fail(open, "'(' is not closed");
        return nullptr;
      }
      Take();
      return inner;
    }
    return Comparison();
  }

  NodePtr Comparison() {
    const Token name = Take();
    if (name.kind != Token::kWord || name.text == "AND" || name.text == "OR") {
      Fail(name, name.kind == Token::kEnd ? "the filter ends where a comparison should start"
                                          : absl::StrCat("expected a field name, found \"", name.text,
                                                         "\"; filterable fields are ", FieldNames(subject_)));
      return nullptr;
    }
    const FieldInfo* info = nullptr;
    for (const auto& f : Fields(subject_)) {
      if (name.text == f.name) info = &f;
    }
    if (info == nullptr) {
      Fail(name, absl::StrCat("unknown field \"", name.text, "\"; filterable fields are ", FieldNames(subject_)));
      return nullptr;
    }
    const Token op_token = Take();
    if (op_token.kind != Token::kOp) {
      Fail(op_token, absl::StrCat("expected an operator after ", info->name, " (=, !=, <, <=, >, >= or :)"));
      return nullptr;
    }
    auto n = std::make_shared<Node>();
    n->field = info->field;
    static const std::pair<const char*, FilterOp> kOps[] = {
        {"=", FilterOp::kEq}, {"!=", FilterOp::kNe}, {"<", FilterOp::kLt}, {"<=", FilterOp::kLe},
        {">", FilterOp::kGt}, {">=", FilterOp::kGe}, {":", FilterOp::kHas}};
    for (const auto& [text, op] : kOps) {
      if (op_token.text == text) n->op = op;
    }
    if (std::find(info->ops.begin(), info->ops.end(), n->op) == info->ops.end()) {
      std::vector<std::string> allowed;
      for (FilterOp op : info->ops) allowed.push_back(OpText(op));
      Fail(op_token,
           absl::StrCat(info->name, " does not take \"", op_token.text, "\"; use ", absl::StrJoin(allowed, ", ")));
      return nullptr;
    }
    const Token value = Take();
    if (value.kind != Token::kWord && value.kind != Token::kString) {
      Fail(value, absl::StrCat("expected a value after ", info->name, " ", op_token.text));
      return nullptr;
    }
    if (!SetValue(*info, value, n.get())) return nullptr;
    return n;
  }

  bool SetValue(const FieldInfo& info, const Token& value, Node* n) {
    switch (info.field) {
      case FilterField::kDistrictCode:
        n->text = value.text;
        return true;
      case FilterField::kCrimeReference:
        n->text = records::NormaliseCrimeReference(value.text);
        return true;
      case FilterField::kStatus:
        return EnumValue(info, value, hirs::v1::CaseStatus_descriptor(), n);
      case FilterField::kMotivation:
        return EnumValue(info, value, hirs::v1::Motivation_descriptor(), n);
      case FilterField::kIncidentType:
        return EnumValue(info, value, hirs::v1::IncidentType_descriptor(), n);
      case FilterField::kRepeatVictim:
        if (value.text == "true" || value.text == "false") {
          n->flag = value.text == "true";
          return true;
        }
        Fail(value, absl::StrCat("repeat_victim takes true or false, not \"", value.text, "\""));
        return false;
      case FilterField::kOccurredStart:
      case FilterField::kFirstReceivedAt:
      case FilterField::kReceivedAt: {
        std::string err;
        if (absl::ParseTime(absl::RFC3339_full, value.text, &n->time, &err)) return true;
        Fail(value, absl::StrCat(info.name, " takes an RFC 3339 time such as \"2026-10-01T00:00:00Z\", not \"",
                                 value.text, "\""));
        return false;
      }
    }
    return false;
  }

  bool EnumValue(const FieldInfo& info, const Token& value, const google::protobuf::EnumDescriptor* d, Node* n) {
    const auto* v = d->FindValueByName(value.text);
    if (v != nullptr && v->number() != 0) {
      n->number = v->number();
      return true;
    }
    std::vector<std::string> names;
    for (int i = 1; i < d->value_count(); ++i) names.push_back(d->value(i)->name());
    Fail(value, absl::StrCat("unknown ", info.name, " \"", value.text, "\"; use one of ", absl::StrJoin(names, ", ")));
    return false;
  }

  absl::string_view text_;
  const FilterSubject subject_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  std::string error_;
};

bool Ordered(FilterOp op, absl::Time a, absl::Time b) {
  switch (op) {
    case FilterOp::kEq:
      return a == b;
    case FilterOp::kNe:
      return a != b;
    case FilterOp::kLt:
      return a < b;
    case FilterOp::kLe:
      return a <= b;
    case FilterOp::kGt:
      return a > b;
    case FilterOp::kGe:
      return a >= b;
    case FilterOp::kHas:
      return false;
  }
  return false;
}

template <typename Repeated>
bool Holds(const Repeated& values, int v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// A comparison against a case.
bool Compare(const Node& n, const hirs::v1::Case& c) {
  const bool negate = n.op == FilterOp::kNe;
  switch (n.field) {
    case FilterField::kDistrictCode:
      return (c.district_code() == n.text) != negate;
    case FilterField::kCrimeReference:
      return (c.crime_reference() == n.text) != negate;
    case FilterField::kStatus:
      return (static_cast<int>(c.status()) == n.number) != negate;
    case FilterField::kMotivation:
      return Holds(c.motivations(), n.number) != negate;
    case FilterField::kIncidentType:
      return Holds(c.incident_types(), n.number) != negate;
    case FilterField::kRepeatVictim:
      return (c.repeat_victim() == n.flag) != negate;
    case FilterField::kOccurredStart:
      return Ordered(n.op, ToAbslTime(c.occurred_start()), n.time);
    case FilterField::kFirstReceivedAt:
      return Ordered(n.op, ToAbslTime(c.first_received_at()), n.time);
    case FilterField::kReceivedAt:
      return false;  // not a field of cases: Parse refuses it
  }
  return false;
}

// A comparison against a centre's report.
bool Compare(const Node& n, const hirs::v1::Report& r) {
  const bool negate = n.op == FilterOp::kNe;
  switch (n.field) {
    case FilterField::kStatus:
      return (static_cast<int>(r.progress().case_status()) == n.number) != negate;
    case FilterField::kMotivation:
      return Holds(r.motivations(), n.number) != negate;
    case FilterField::kIncidentType:
      return Holds(r.incident_types(), n.number) != negate;
    case FilterField::kReceivedAt:
      return Ordered(n.op, ToAbslTime(r.received_at()), n.time);
    default:
      return false;  // not a field of reports: Parse refuses it
  }
}

template <typename Subject>
bool Evaluate(const Node& n, const Subject& subject) {
  switch (n.kind) {
    case Node::kAnd:
      return std::all_of(n.children.begin(), n.children.end(), [&](const NodePtr& k) { return Evaluate(*k, subject); });
    case Node::kOr:
      return std::any_of(n.children.begin(), n.children.end(), [&](const NodePtr& k) { return Evaluate(*k, subject); });
    case Node::kNot:
      return !Evaluate(*n.children[0], subject);
    case Node::kCompare:
      break;
  }
  return Compare(n, subject);
}

// Index prefixes covering a comparison's matches, with a rank: lower is
// more selective (used to pick one side of an AND).
struct Cover {
  std::vector<std::string> prefixes;
  int rank = 0;

  // What reading through the cover costs, roughly: every prefix is read
  // for each page, so many prefixes (a long range of months) cost more than
  // one broader prefix (a motivation). ListCases at 1M cases: a filter on
  // motivation and two years of occurred_start went from 13.5 ms to
  // 2-2.5 ms at the median by preferring the motivation (2026-11-22,
  // case_service_bench).
  double Cost() const { return prefixes.empty() ? -1 : rank + std::log2(static_cast<double>(prefixes.size())); }
};

constexpr size_t kMaxMonthsCovered = 240;

// A range of occurred_start, from the comparisons that bound it.
struct TimeRange {
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  bool bounded = false;

  // Narrows the range by comparison `n`; false when `n` does not bound it.
  bool Narrow(const Node& n) {
    if (n.kind != Node::kCompare || n.field != FilterField::kOccurredStart) return false;
    switch (n.op) {
      case FilterOp::kEq:
        from = std::max(from, n.time);
        to = std::min(to, n.time);
        break;
      case FilterOp::kLt:
        to = std::min(to, n.time - absl::Nanoseconds(1));
        break;
      case FilterOp::kLe:
        to = std::min(to, n.time);
        break;
      case FilterOp::kGt:
        from = std::max(from, n.time + absl::Nanoseconds(1));
        break;
      case FilterOp::kGe:
        from = std::max(from, n.time);
        break;
      default:
        return false;
    }
    bounded = true;
    return true;
  }
};

// The UK months a range of occurred_start touches; open ends run from
// 1990 (the earliest incident intake accepts) to a month past `now`.
std::optional<Cover> MonthsCover(TimeRange range, absl::Time now) {
  const absl::Time from = std::max(range.from, absl::FromCivil(absl::CivilMonth(1990, 1), absl::UTCTimeZone()));
  const absl::Time to = std::min(range.to, now + absl::Hours(24 * 31));
  if (to < from) return Cover{{}, 0};  // matches nothing
  Cover cover;
  cover.rank = 3;
  const absl::CivilMonth first(absl::ToCivilMonth(from, UkTimeZone()));
  const absl::CivilMonth last(absl::ToCivilMonth(to, UkTimeZone()));
  for (absl::CivilMonth m = first; m <= last; ++m) {
    if (cover.prefixes.size() >= kMaxMonthsCovered) return std::nullopt;
    cover.prefixes.push_back(storage::CaseIndexPrefix(storage::kOccurredMonthIndex, absl::FormatCivilTime(m)));
  }
  return cover;
}

std::optional<Cover> CoverOf(const Node& n, absl::Time now) {
  switch (n.kind) {
    case Node::kNot:
      return std::nullopt;
    case Node::kAnd: {
      // Bounds of occurred_start on several sides make one range.
      TimeRange range;
      for (const auto& k : n.children) range.Narrow(*k);
      std::optional<Cover> best;
      if (range.bounded) best = MonthsCover(range, now);
      for (const auto& k : n.children) {
        auto c = CoverOf(*k, now);
        if (c.has_value() && (!best.has_value() || c->Cost() < best->Cost())) {
          best = std::move(c);
        }
      }
      return best;
    }
    case Node::kOr: {
      Cover all;
      for (const auto& k : n.children) {
        auto c = CoverOf(*k, now);
        if (!c.has_value()) return std::nullopt;
        all.rank = std::max(all.rank, c->rank);
        for (auto& p : c->prefixes) {
          if (std::find(all.prefixes.begin(), all.prefixes.end(), p) == all.prefixes.end()) {
            all.prefixes.push_back(std::move(p));
          }
        }
      }
      return all;
    }
    case Node::kCompare:
      break;
  }
  if (n.field == FilterField::kOccurredStart) {
    TimeRange range;
    return range.Narrow(n) ? MonthsCover(range, now) : std::nullopt;
  }
  if (n.op == FilterOp::kNe) return std::nullopt;
  switch (n.field) {
    case FilterField::kCrimeReference:
      return Cover{{storage::CaseIndexPrefix(storage::kCrimeReferenceIndex, n.text)}, 1};
    case FilterField::kDistrictCode:
      return Cover{{storage::CaseIndexPrefix(storage::kDistrictIndex, n.text)}, 2};
    case FilterField::kStatus:
      return Cover{{storage::CaseIndexPrefix(storage::kStatusIndex, storage::IndexNumber(n.number))}, 4};
    case FilterField::kMotivation:
      return Cover{{storage::CaseIndexPrefix(storage::kMotivationIndex, storage::IndexNumber(n.number))}, 4};
    case FilterField::kIncidentType:
      return Cover{{storage::CaseIndexPrefix(storage::kIncidentTypeIndex, storage::IndexNumber(n.number))}, 4};
    case FilterField::kRepeatVictim:
      if (!n.flag) return std::nullopt;  // only repeat victims are indexed
      return Cover{{storage::CaseIndexPrefix(storage::kRepeatVictimIndex, "1")}, 3};
    default:
      return std::nullopt;
  }
}

}  // namespace

absl::StatusOr<Filter> Filter::Parse(absl::string_view text, FilterSubject subject) {
  if (text.size() > kMaxFilterLength) {
    return InvalidArgumentWithViolations(
        {{"filter", absl::StrCat("is ", text.size(), " characters long; at most ", kMaxFilterLength, " are allowed")}});
  }
  Parser parser(text, subject);
  absl::StatusOr<NodePtr> root = parser.Run();
  if (!root.ok()) return root.status();
  return Filter(std::move(*root));
}

bool Filter::Matches(const hirs::v1::Case& c) const { return root_ == nullptr || Evaluate(*root_, c); }

bool Filter::Matches(const hirs::v1::Report& r) const { return root_ == nullptr || Evaluate(*root_, r); }

std::optional<std::vector<std::string>> Filter::IndexCover(absl::Time now) const {
  if (root_ == nullptr) return std::nullopt;
  std::optional<Cover> cover = CoverOf(*root_, now);
  if (!cover.has_value()) return std::nullopt;
  return std::move(cover->prefixes);
}

}  // namespace hirs::query
