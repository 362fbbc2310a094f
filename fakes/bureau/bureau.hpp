#pragma once
// The fake credit bureau's model (issue 7 §3, DOMAIN.md §3 "What a CIC file contains", §10): an
// inquiry by name (kana), birth date and phone returns a CIC-like credit report derived
// deterministically from the identity (magic applicants for 異動, delinquency, many contracts, no
// record); every inquiry is recorded (and counts in later reports' inquiries_6m); the issuer
// registers new credit contracts, which appear in later reports.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fakes/common/problem.hpp"
#include "sim/clock/clock.hpp"

namespace sim::fakes::bureau {

using common::ModelError;
using common::ModelResult;
using Yen = std::int64_t;

struct Identity {
    std::string family_name_kana, given_name_kana, birth_date, phone, name;
};

/// The key a person is known by: folded kana name + birth date.
std::string IdentityKey(const Identity& id);

struct Contract {
    std::string id;           ///< "CC" + 10 digits
    std::string company;      ///< the issuer that holds it
    std::string type;         ///< REVOLVING (包括), INSTALLMENT (個別), LOAN (貸付)
    std::string contract_date;
    Yen limit = 0, balance = 0, annual_billing = 0;
    std::string payment_history;  ///< 24 monthly symbols, oldest first: $ P R A B C -
    std::string status = "ACTIVE";
};

struct Report {
    std::string inquiry_id;  ///< "IQ" + 10 digits
    bool found = false;
    std::vector<Contract> contracts;
    bool incident = false;   ///< 異動
    std::string incident_since, incident_reason;
    int inquiries_6m = 0;    ///< inquiries in the last 6 months, this one excluded
    int score = 0;           ///< 0-999, higher is better (a fake's summary; CIC itself gives none)
    Yen total_balance = 0, total_annual_billing = 0;
    core::TimePoint at{};
};

struct InquiryRecord {
    std::string inquiry_id, inquirer, purpose, identity_key;
    Identity identity;
    core::TimePoint at{};
};

struct ContractInput {
    Identity identity;
    std::string company, type, contract_date;
    Yen limit = 0;
};

class CreditBureau {
public:
    CreditBureau(clock::Clock& clock, std::uint64_t seed) : clock_(clock), seed_(seed) {}

    ModelResult<Report> Inquire(const Identity& identity, const std::string& inquirer, const std::string& purpose);
    ModelResult<Contract> RegisterContract(const ContractInput& input);
    /// Updates a registered contract's latest month (symbol $ P R A B C -) and balance.
    ModelResult<Contract> UpdatePaymentStatus(const std::string& contract_id, char symbol, Yen balance);
    ModelResult<Contract> GetContract(const std::string& id) const;
    const std::vector<InquiryRecord>& inquiries() const { return inquiries_; }
    void Reset();

private:
    std::vector<Contract> BaseContracts(const Identity& id, const std::string& key, Report* report) const;

    clock::Clock& clock_;
    std::uint64_t seed_;
    std::vector<InquiryRecord> inquiries_;
    std::map<std::string, Contract> contracts_;                  // registered by issuers
    std::map<std::string, std::vector<std::string>> by_identity_;  // identity key -> contract ids
    std::uint64_t next_inquiry_ = 1, next_contract_ = 1;
};

}  // namespace sim::fakes::bureau
