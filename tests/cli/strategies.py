"""Small strategies and test files the `openors test` / `simulate --strict` tests write."""

HEADER = ('<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:queue="http://www.genesyslab.com/modules/queue" '
          'xmlns:ixn="http://www.genesyslab.com/modules/interaction" version="1.0" profile="ecmascript" '
          'initial="waiting">\n')

SCRIPT_ERROR = HEADER + """<datamodel><data id="ixnid" expr="''"/></datamodel>
<state id="waiting">
  <transition event="interaction.added" target="done">
    <script>var tier = customer.tier.toUpperCase();</script>
  </transition>
  <transition event="error.*" target="done"/>
</state>
<final id="done"/>
</scxml>
"""

# Asks for an agent nobody can be (no one has the skill) with a 5 s timeout.
QUEUE_TIMEOUT = HEADER + """<datamodel><data id="ixnid" expr="''"/></datamodel>
<state id="waiting">
  <transition event="interaction.added" target="selecting"><assign location="ixnid" expr="_event.data.interactionid"/></transition>
</state>
<state id="selecting">
  <onentry>
    <queue:submit interactionid="ixnid" queue="'VQ_Nobody'" timeout="5">
      <queue:targets><queue:targetid expr="'?:astrophysics >= 9@StatServer.GA'"/></queue:targets>
    </queue:submit>
  </onentry>
  {handler}
  <transition event="interaction.deleted" target="done"/>
</state>
<final id="done"/>
<final id="timedout"/>
</scxml>
"""

TOPOLOGY = """switch: SIM_Switch
dns:
  - {dn: "5100", type: routing_point, application: strategy}
  - {dn: "7001", type: extension}
agents:
  - {id: alice, name: Alice, place: P1, dn: "7001", skills: {sales: 8}, state: ready}
"""

TEST_FILE = """topology: site.yaml
applications: {{strategy: strategy.scxml}}
until: 60
tests:
  - name: {name}
    scenario:
      steps:
        - {{at: 1, call: {{from: "+15550001", to: "5100", patience: 20}}}}
    expect:
{expect}
"""
