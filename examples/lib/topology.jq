# SPDX-License-Identifier: Apache-2.0
# A text picture of `netctl topology` (its JSON) for a terminal:
#   netctl topology | jq -r -f examples/lib/topology.jq
# host -> network (driver, subnets, its kernel devices) -> each endpoint:
# who owns it (container, sandbox, CNI pod), the interface inside with its
# address and MAC, and its host end (veth peer and the bridge it is a port of).
def short: if . == null then "" else .[0:12] end;
def owner($h; $e):
  ([$h.Containers[]? | select(.Id == $e.ContainerId)] | first) as $c |
  ([$h.Sandboxes[]? | select(.Id == $e.SandboxId)] | first) as $s |
  if $c != null then "container \($c.Name) (\($c.State))"
  elif ($s != null and ($s.CallerOwned // false)) then "CNI pod \(($s.Name // "") | sub("^cni-"; ""))"
  elif ($s != null and ($s.Name // "") != "") then "sandbox \($s.Name)"
  else "sandbox \($e.SandboxId | short)" end;
def ports($h; $e):
  [$h.Containers[]? | select(.Id == $e.ContainerId) | .Ports[]?
   | select(.NetworkID == null or .NetworkID == $e.NetworkId)
   | "\(if (.HostIp // "") != "" then .HostIp + ":" else "" end)\(.HostPort)->\(.ContainerPort)/\(.Proto)"]
  + [$e.PortMappings[]? | "\(.HostPort)->\(.ContainerPort)/\(.Protocol // .Proto // "tcp")"]
  | unique | if length > 0 then "  published " + join(", ") else "" end;
def hostend($e):
  if ($e.Interface.Kind // "") == "macvlan" then
    "  (macvlan child of \($e.HostLink.Name // "its parent"))"
  elif $e.HostLink != null then
    "  <-veth-> \($e.HostLink.Name)\(if $e.HostLink.Master then " (port of \($e.HostLink.Master))" else "" end)"
  elif ($e.Interface.Kind // "") != "" and $e.Interface.Kind != "veth" then
    "  (\($e.Interface.Kind))"
  else "" end;

.Hosts[] as $h
| "host \($h.Host // "?")   \($h.Address // "")",
  ( $h.Networks[]?
    | select(.Driver != "host" and .Driver != "null" and .Driver != "none") as $n
    | [$h.Endpoints[]? | select(.NetworkId == $n.Id)] as $eps
    | select(($eps | length) > 0 or $n.Name != "bridge")
    | "  network \($n.Name) [\($n.Driver)\(if $n.Internal then ", internal" else "" end)]  \([$n.Subnets[]? | .Subnet] | join(" "))  gw \([$n.Subnets[]? | .Gateway // empty] | join(" "))",
      "  |   kernel: \([$n.Links[]? | "\(.Name) (\(.Kind)\(if (.Role // .Kind) != .Kind then " " + .Role else "" end)\(if (.VNI // .Vni) then " vni \(.VNI // .Vni)" else "" end))"] | join(", "))",
      ( $eps[] as $e
        | "  |-- \(owner($h; $e)): \($e.IfName // $e.Interface.Name) \($e.IPv4Address // "")\(if ($e.IPv6Address // "") != "" then " " + $e.IPv6Address else "" end) \($e.MacAddress // "")\(hostend($e))\(ports($h; $e))" ),
      "" )
