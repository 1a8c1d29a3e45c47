/*
 * The `_genesys` object every ORS session has from its first line, and the `_data` root.
 *
 * Module layers fill their part in later (interactions, statistics, configuration lists); what is
 * here is what does not depend on the contact center: the enumerations applications compare
 * against and the functions that only compute. Host-provided data arrives through
 * `__orsHost.genesys` (plain JSON set by the host), never through calls into Python.
 */
(function () {
  'use strict';
  var g = globalThis;

  function hidden(obj, name, value) {
    Object.defineProperty(obj, name, { value: value, writable: true, configurable: true, enumerable: false });
  }

  // ORS keeps <data> items in `_data` (Composer always writes `_data.X`); plain names are script
  // globals, so `var system` in a script is another variable than `_data.system`. For documents
  // that use a data item by its plain name, the host aliases the name to `_data.X` (only when no
  // script declares a global of that name).
  var data = {};
  hidden(g, '_data', data);
  hidden(g, '__ors_aliasData', function (ids) {
    ids.forEach(function (k) {
      if (Object.prototype.hasOwnProperty.call(g, k)) return;
      Object.defineProperty(g, k, {
        get: function () { return data[k]; },
        set: function (v) { data[k] = v; },
        enumerable: false, configurable: true,
      });
    });
  });
  // Composer's include prefix; empty unless the document was included under a resolveid.
  hidden(g, '_my_prefix', '');

  function enumeration(names, start) {
    var out = {};
    names.forEach(function (n, i) { out[n] = (start || 0) + i; });
    return out;
  }

  // Media type names (the `media` of interactions) and their integer codes: 0-17 as documented,
  // then Composer's IrdEnumMapper order (OutboundPreview, OpenMedia, NativeSMS); TMediaAny last.
  // TMediaWebForm and TMediaCoBrowsing are the spellings the msgbased/chat object model pages use
  // for TMediaWebform and TMediaCobrowsing: same media, same code. Python keeps the same table
  // (openors.platform.model.media.MEDIA_TYPE_CODES); a test holds the two equal.
  var mediaNames = ['TMediaVoice', 'TMediaVoIP', 'TMediaEMail', 'TMediaVMail', 'TMediaSMail', 'TMediaChat',
    'TMediaVideo', 'TMediaCobrowsing', 'TMediaWhiteboard', 'TMediaAppSharing', 'TMediaWebform',
    'TMediaWorkItem', 'TMediaCallback', 'TMediaFax', 'TMediaIMChat', 'TMediaBusinessEvent', 'TMediaAlert',
    'TMediaSMS', 'TMediaOutboundPreview', 'TMediaOpenMedia', 'TMediaNativeSMS', 'TMediaAny'];
  var mediaCodes = enumeration(mediaNames);
  mediaCodes.TMediaWebForm = mediaCodes.TMediaWebform;
  mediaCodes.TMediaCoBrowsing = mediaCodes.TMediaCobrowsing;
  var mediaType = {};
  Object.keys(mediaCodes).forEach(function (n) { mediaType[n] = n; });

  var genesys = {
    session: {
      server: { name: 'OpenORS', cluster: 'OpenORS', url: undefined },
      tenant: 'Environment',
      tenantid: 1,
      lookupseq: { StartFromStrategy: -1, StartFromCDN: 0, StartFromRouter: 1, StartFromTenant: 2,
                   StartFromTserver: 3 },
      // What dayInZone() returns: Sunday = 0 ... Saturday = 6 (time-of-day routers compare them).
      day: enumeration(['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']),
      setTenant: function (name) { this.tenant = String(name); },
    },
    ixn: {
      interactions: {},
      length: 0,
      firstixnid: undefined,
      mediaType: mediaType,
      getMediaIntValue: function (name) {
        var key = String(name);
        // -1 for an unknown name, as ORS 8.1.200.50 and later
        return Object.prototype.hasOwnProperty.call(mediaCodes, key) ? mediaCodes[key] : -1;
      },
    },
    queue: {
      rType: enumeration(['RouteTypeUnknown', 'RouteTypeDefault', 'RouteTypeLabel', 'RouteTypeOverwriteDNIS',
        'RouteTypeDDD', 'RouteTypeIDDD', 'RouteTypeDirect', 'RouteTypeReject', 'RouteTypeAnnouncement',
        'RouteTypePostFeature', 'RouteTypeDirectAgent', 'RouteTypeGetFromDN']),
      overwriteType: enumeration(['UseNone', 'UseANI', 'UseDNIS', 'UseConfig']),
      usecapcond: enumeration(['Never', 'Only', 'OnStatError']),
    },
    voice: { overwriteType: enumeration(['UseNone', 'UseANI', 'UseDNIS', 'UseConfig']) },
    statistic: {},
    resource: {
      resourceType: enumeration(['any', 'CFGACDPosition', 'CFGExtension', 'CFGCellular', 'CFGChat',
        'CFGCoBrowse', 'CFGEmail', 'CFGFAX', 'CFGVideo', 'CFGVoiceMail', 'CFGVoIP', 'CFGWorkflow']),
    },
    dialog: {},
    classification: {},
    ws: {},
    elasticconnector: {},
    agent: {},
  };
  hidden(g, '_genesys', genesys);
})();
