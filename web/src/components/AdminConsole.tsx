// Administration: a tenant admin's users, feature flags and audit trail; a risk officer's audit
// trail; the platform operator's instruments, LPs and venues. Each part shows only for the roles
// the server lets act on it.
import type { Me } from "../api/types";
import { hasRole } from "../state/session";
import { AuditTrail } from "./admin/AuditTrail";
import { FeatureFlagsForm } from "./admin/FeatureFlagsForm";
import { Instruments } from "./admin/Instruments";
import { Lps } from "./admin/Lps";
import { Users } from "./admin/Users";
import { Venues } from "./admin/Venues";

export function AdminConsole({ me }: { me: Me }) {
  const admin = hasRole(me, "ROLE_ADMIN");
  const platform = hasRole(me, "ROLE_PLATFORM");
  return (
    <div className="console">
      {admin && <Users />}
      {admin && <FeatureFlagsForm />}
      {platform && <Instruments />}
      {platform && <Lps />}
      {platform && <Venues />}
      {hasRole(me, "ROLE_ADMIN", "ROLE_RISK") && <AuditTrail />}
    </div>
  );
}
